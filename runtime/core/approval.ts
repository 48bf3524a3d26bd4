// Approval classes and the autonomous-mode decision. Reads are free, billable
// or destructive actions need approval, and recurring spend always needs a human.
import { reserve, type Ledger } from "./ledger.js";

/** How much human sign-off an action needs. */
export type ApprovalClass = "auto" | "approval-required" | "always-human";

/** An action to classify. */
export interface ApprovalAction {
  kind: "job" | "scheduled-job" | "sandbox" | "upload" | "delete" | "repo-create" | "read" | "status" | string;
  flavor?: string | null;
}

/** Flavors cheap enough that a sandbox on them needs no approval. */
export const FREE_SANDBOX_FLAVORS = ["cpu-basic"];

/**
 * Classify an action. Scheduled (recurring) jobs are always human-gated;
 * reads and status checks are automatic; jobs, GPU sandboxes, uploads,
 * deletes and repo creation need approval. Unknown kinds fail closed.
 */
export function approvalClass(action: ApprovalAction): ApprovalClass {
  switch (action.kind) {
    case "read":
    case "status":
      return "auto";
    case "sandbox":
      return typeof action.flavor === "string" && FREE_SANDBOX_FLAVORS.includes(action.flavor) ? "auto" : "approval-required";
    case "job":
    case "upload":
    case "delete":
    case "repo-create":
      return "approval-required";
    default:
      return "always-human";
  }
}

/** Input to `decideApproval`; `key` names the reservation an autonomous approval makes (default `approval-N`). */
export interface ApprovalRequest {
  cls: ApprovalClass;
  mode: "interactive" | "autonomous";
  estimateUsd: number | null | undefined;
  ledger?: Ledger | null;
  key?: string;
}

/** Decision, with the ledger to carry forward (it holds the new reservation when one was made). */
export interface ApprovalDecision {
  decision: "approve" | "ask-human" | "deny";
  reason: string;
  ledger?: Ledger;
}

/**
 * Decide an approval. Interactive mode asks for everything not automatic.
 * Autonomous mode approves `approval-required` actions only by reserving
 * their estimate under the cap (carry the returned `ledger` forward); an
 * unknown estimate, a missing ledger or no room left asks a human. `always-human` is never automatic.
 */
export function decideApproval(request: ApprovalRequest): ApprovalDecision {
  const { cls, mode } = request;
  if (cls === "auto") return { decision: "approve", reason: "automatic: read-only or free action" };
  if (cls === "always-human") return { decision: "ask-human", reason: "recurring or unrecognized action: always needs a human" };
  if (cls !== "approval-required") return { decision: "deny", reason: "unknown approval class `" + String(cls) + "`" };
  if (mode !== "autonomous") return { decision: "ask-human", reason: "interactive mode: billable or destructive action" };
  return approvalAutonomous(request);
}

/** Autonomous approval through the ledger: the reservation is the approval. */
function approvalAutonomous(request: ApprovalRequest): ApprovalDecision {
  const { ledger } = request;
  if (!ledger) return { decision: "ask-human", reason: "no spend ledger: cannot cost-cap this action" };
  const key = typeof request.key === "string" && request.key !== "" ? request.key : approvalFreeKey(ledger);
  const result = reserve(ledger, { key, estimateUsd: request.estimateUsd });
  if (result.ok) return { decision: "approve", reason: "within the autonomous cost cap", ledger: result.ledger };
  const reasons = {
    "unknown-cost": "cost could not be estimated: failing closed",
    "over-cap": "estimate exceeds the remaining autonomous cost cap",
    "duplicate-key": "reservation key `" + key + "` is already in the ledger",
    "invalid-key": "reservation key is not a usable name",
  };
  return { decision: "ask-human", reason: reasons[result.reason], ledger };
}

/** First `approval-N` key not yet in the ledger, so unnamed approvals still reserve distinctly. */
function approvalFreeKey(ledger: Ledger): string {
  let index = Object.keys(ledger.reserved ?? {}).length + Object.keys(ledger.settled ?? {}).length;
  while (Object.hasOwn(ledger.reserved, "approval-" + index) || Object.hasOwn(ledger.settled, "approval-" + index)) index++;
  return "approval-" + index;
}
