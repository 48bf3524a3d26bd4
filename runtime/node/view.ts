// What `specc run` shows while a run goes: on a terminal, a live list of the pipeline's steps
// (status, attempt, spend against the cap, the agent working now), redrawn in place; elsewhere
// (a pipe, CI) one plain line per change; with --json, one JSON event a line on stdout.
import type { NodeRunEvent, RunReport } from "./run.js";

/** Where the view writes: lines to stdout and stderr, raw text to stderr for redrawing. */
export interface ViewIo {
  out: (text: string) => void;
  err: (text: string) => void;
  write?: (text: string) => void;
}

type StepStatus = "pending" | "running" | "done" | "skipped" | "stopped";

interface ViewState {
  workflow: string;
  runId: string;
  capUsd: number | null;
  committedUsd: number;
  steps: { id: string; title: string; status: StepStatus; attempt: number; agent: string | null }[];
}

const MARKS: { [status in StepStatus]: string } = { pending: "·", running: "▸", done: "✓", skipped: "–", stopped: "✗" };

/** A viewer: feed it events, then the report; `mode` picks how it draws. */
export function runView(io: ViewIo, mode: "live" | "lines" | "json"): { onEvent: (event: NodeRunEvent) => void } {
  if (mode === "json") return { onEvent: (event) => io.out(JSON.stringify(event)) };
  const state: ViewState = { workflow: "", runId: "", capUsd: null, committedUsd: 0, steps: [] };
  let drawn = 0;
  const draw = (): void => {
    const lines = viewLines(state);
    // Move back over the last drawing and clear it: the list is redrawn in place.
    const back = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : "";
    (io.write ?? ((text: string) => io.err(text.replace(/\n$/, ""))))(`${back}${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  return {
    onEvent(event) {
      const line = applyEvent(state, event);
      if (mode === "live") draw();
      else if (line !== null) io.err(line);
    },
  };
}

/** Apply an event to the view; returns the plain line it makes, if any. */
function applyEvent(state: ViewState, event: NodeRunEvent): string | null {
  switch (event.type) {
    case "run-started":
      Object.assign(state, { workflow: event.workflow, runId: event.runId, capUsd: event.capUsd });
      state.steps = event.steps.map((step) => ({ id: step.id, title: step.title, status: "pending" as StepStatus, attempt: 0, agent: null }));
      return `${event.resumed ? "resumed" : "started"} ${event.workflow} run ${event.runId} (${event.steps.length} steps, cap ${money(event.capUsd)})`;
    case "step-started": {
      const step = state.steps[event.index];
      if (step) Object.assign(step, { status: "running", attempt: event.attempt });
      return `[${event.index + 1}/${state.steps.length}] ${event.title} (${event.kind}) attempt ${event.attempt}`;
    }
    case "agent-started": {
      const step = state.steps.find((candidate) => candidate.id === event.step);
      if (step) step.agent = event.agent;
      return null;
    }
    case "agent-finished":
      return event.cached ? null : `  ${event.agent}: ${event.status}${event.costUsd > 0 ? ` ($${event.costUsd.toFixed(2)})` : ""}`;
    case "log":
      return null;
    case "step-finished": {
      const step = state.steps[event.index];
      if (step) Object.assign(step, { status: event.status, agent: null });
      state.committedUsd = event.committedUsd;
      return `[${event.index + 1}/${state.steps.length}] ${event.id}: ${event.status}, spend ${money(event.committedUsd)} of ${money(event.capUsd)}`;
    }
    case "run-finished":
      state.committedUsd = event.result.spend.committedUsd;
      return null;
  }
}

function viewLines(state: ViewState): string[] {
  const width = Math.max(0, ...state.steps.map((step) => step.title.length));
  return [
    `${state.workflow} run ${state.runId}   spend ${money(state.committedUsd)} of ${money(state.capUsd)}`,
    ...state.steps.map((step) => {
      const attempt = step.attempt > 1 ? ` attempt ${step.attempt}` : "";
      const agent = step.status === "running" && step.agent ? `  ${step.agent}` : "";
      return `  ${MARKS[step.status]} ${step.title.padEnd(width)}  ${step.status}${attempt}${agent}`;
    }),
  ];
}

function money(usd: number | null): string {
  return usd === null ? "no cap" : `$${usd.toFixed(2)}`;
}

/** The run report as text: steps, agents, spend by step, the stop, artifacts. */
export function reportText(report: RunReport): string {
  const width = Math.max(4, ...report.steps.map((step) => step.id.length));
  const lines = [
    `${report.workflow} run ${report.runId}: ${report.status} (${report.stoppedReason})${report.stoppedAt ? ` at ${report.stoppedAt}` : ""}`,
    `  ${report.detail}`,
    "",
    "steps:",
    ...report.steps.map((step) => `  ${step.id.padEnd(width)}  ${step.status.padEnd(8)} attempts ${step.attempts}${step.spendUsd > 0 ? `  spend $${step.spendUsd.toFixed(2)}` : ""}`),
    "",
    "agents:",
    ...report.agents.map((agent) => `  ${agent.agent}: ${agent.calls} call${agent.calls === 1 ? "" : "s"}${agent.replayed > 0 ? ` (${agent.replayed} from the journal)` : ""}${agent.failed > 0 ? `, ${agent.failed} failed` : ""}`),
    "",
    `spend: $${report.spend.committedUsd.toFixed(2)} committed of ${money(report.spend.capUsd)} (worst case until verified)`,
  ];
  if (report.artifacts.length > 0) lines.push("", "artifacts:", ...report.artifacts.map((artifact) => `  ${typeof artifact === "string" ? artifact : JSON.stringify(artifact)}`));
  return lines.join("\n");
}
