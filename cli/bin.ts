import { describeFailure, main, type Io } from "./cli.js";

// The executable: wire the CLI to the process. Everything testable lives in cli.ts.
const io: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  cwd: process.cwd(),
  color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
  tty: Boolean(process.stderr.isTTY),
  write: (text) => process.stderr.write(text),
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const { text, exitCode } = describeFailure(error);
    io.err(text);
    process.exitCode = exitCode;
  },
);
