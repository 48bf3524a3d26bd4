import type { Executor } from "../../runtime/executors/executor.js";
import type { AnswerInfo } from "../../runtime/proof/answers.js";
import { stepSlots, type DriverPipeline, type DriverStep } from "../../runtime/workflow/index.js";

/**
 * An executor that answers like the proof runs' stand-in agents: `answer` gets the call's step,
 * slot, per-agent count and prompt. It bills and reports cost, as a recording does. `calls` lists
 * every call made (agent names), for counting billable work.
 */
export function standInExecutor(pipeline: DriverPipeline, answer: (info: AnswerInfo) => unknown, options: { baseline?: { [key: string]: string } } = {}): Executor & { calls: string[] } {
  const owners = new Map<string, { step: DriverStep; slot: string }>();
  for (const step of pipeline.steps) {
    const slots = stepSlots(step);
    step.agents.forEach((agent, index) => owners.set(agent.name, { step, slot: slots[index] }));
  }
  const counts = new Map<string, number>();
  const calls: string[] = [];
  return {
    name: "stand-in",
    capabilities: { read: true, write: true, bill: true, reportsCost: true },
    calls,
    async run(request) {
      const agent = request.agentType ?? request.step;
      const owner = owners.get(agent);
      if (!owner) throw new Error(`unknown agent ${agent}`);
      const count = (counts.get(agent) ?? 0) + 1;
      counts.set(agent, count);
      calls.push(agent);
      const output = answer({ ...owner, count, baseline: options.baseline ?? {}, prompt: request.prompt });
      return { status: "ok", output, costUsd: 0 };
    },
  };
}
