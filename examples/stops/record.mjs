#!/usr/bin/env node
// Records one replay fixture per stop reason a replay of specs/ml-research.md can reach:
// examples/stops/<stop reason>.jsonl.
//
//   npm run build && node examples/stops/record.mjs
//
// Each fixture is the published run (examples/qwen2-capybara) up to the step where one agent does
// what the stop is about, told by the same stand-in recorder. A fixture whose run needs other
// arguments than the published task says so in its `// args:` line (`--task "…"`, `--param k=v`),
// which the example test passes on. The output is deterministic: rerun this script when a change
// to the driver changes the calls a fixture makes.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { contextOf, VIOLATIONS } from "../../dist/runtime/proof/answers.js";
import {
  ADAPTER_REPO,
  agentNameOf,
  isMain,
  loadPipeline,
  PUBLISHED_NARRATION,
  publishedAnswer,
  recordFixture,
  SCRIPT_URL,
  SPEC,
  TASK,
} from "../qwen2-capybara/record.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));

const at = (info, id, slot) => info.step.id === id && info.slot === slot;

/** A monitor's answer to a cancel request (the driver asks after a stop while a job may run). */
function cancelled(info, cost) {
  const id = contextOf(info).job?.job_id;
  return { status: "cancelled", alerts: [], log_tail: `hf jobs cancel ${id}: cancelled`, metrics: {}, cost_usd: cost };
}

/** A smoke run of the script on CPU that fails with `log`. */
function smokeFailure(log, summary, command = "uv run train_sft_lora.py --max_steps 3 --train_rows 16 --eval_rows 4 --report_to none --push_to_hub false --use_cpu") {
  return { passed: false, command, log_tail: log, summary };
}

const TASK_3_USD = "Fine-tune Qwen/Qwen2-0.5B on trl-lib/Capybara with LoRA on HF Jobs (cost cap is 3 USD)";
const TASK_TYPO = "Fine-tune Qwen/Qwen2-0.5B on trl-lib/Capybarra with LoRA on HF Jobs (cost cap is 10 USD)";
const TASK_HUGE = "Fine-tune deepseek-ai/DeepSeek-V3 on trl-lib/Capybara with LoRA on HF Jobs (cost cap is 10 USD)";
const TASK_TRIVIAL = "List the files in the Qwen/Qwen2-0.5B model repository";

/**
 * The fixtures: the stop reason (the file name), the run's arguments, what happens, the narration of
 * the steps that differ from the published run, and the answers that differ (undefined: the
 * published answer).
 */
export const STOPS = [
  {
    reason: "answered",
    task: TASK_TRIVIAL,
    story: "a trivial task: the intake answers it itself and nothing else runs.",
    narration: { "intake-and-planning": "The intake classifies the task as trivial (a read-only listing, no ML code) and gives the answer; the run ends answered." },
    answer(info) {
      if (!at(info, "intake-and-planning", "worker")) return undefined;
      return {
        summary: "List the files of the model repository Qwen/Qwen2-0.5B.",
        baseline: { method: null, model: "Qwen/Qwen2-0.5B", dataset: null, sequence_length: null },
        plan: ["Answer directly: one read-only listing of the repository"],
        needs_clarification: false,
        question: null,
        task_class: "trivial",
        answer: "Qwen/Qwen2-0.5B (main): .gitattributes, LICENSE, README.md, config.json, generation_config.json, merges.txt, model.safetensors, tokenizer.json, tokenizer_config.json, vocab.json.",
      };
    },
  },
  {
    reason: "agent-failed",
    story: "the intake's output breaks its schema (a task class that is not one of the enum's).",
    narration: { "intake-and-planning": "The intake classifies the task as `fine-tuning`, which is not one of the classes its schema allows (trivial, training, evaluation, inference, data): the run stops before anything is planned on a guess." },
    answer(info) {
      if (!at(info, "intake-and-planning", "worker")) return undefined;
      return { ...publishedAnswer(info), task_class: "fine-tuning" };
    },
  },
  {
    reason: "needs-clarification",
    story: "the task names no sequence length and the intake, as told, leaves it null: a protected value is unknown, so nothing runs until the user says.",
    narration: { "intake-and-planning": "The intake records the baseline exactly as the user stated it: method, model and dataset, and null for the sequence length the task does not name. A protected value is unknown, so the run asks instead of guessing." },
    answer(info) {
      if (!at(info, "intake-and-planning", "worker")) return undefined;
      const base = publishedAnswer(info);
      return { ...base, baseline: { ...base.baseline, sequence_length: null }, assumptions: [] };
    },
  },
  {
    reason: "scope-change-requires-approval",
    story: "the CPU smoke test's fixer renames a rejected argument and quietly shortens the sequence length with it.",
    narration: { "cpu-smoke-test": "The smoke run fails: TRL's SFTConfig no longer takes max_seq_length (it is max_length now). The fixer renames it, but at 1024 instead of 2048 \"to keep the CPU run short\": a change to the protected sequence length, which no agent can approve." },
    answer(info) {
      if (at(info, "cpu-smoke-test", "worker")) {
        return smokeFailure("  File \"/app/train_sft_lora.py\", line 97, in main\n    args = SFTConfig(max_seq_length=2048, **training)\nTypeError: SFTConfig.__init__() got an unexpected keyword argument 'max_seq_length'", "SFTConfig rejects max_seq_length.");
      }
      if (at(info, "cpu-smoke-test", "fixer")) {
        return {
          analysis: "TRL renamed SFTConfig's max_seq_length to max_length; the installed version rejects the old name.",
          failure_class: "wrong-argument",
          changes: { max_length: 1024 },
          description: "Rename max_seq_length to max_length, at 1024 so the CPU run stays short.",
        };
      }
      return undefined;
    },
  },
  {
    reason: "critic-rejected",
    story: "the research keeps citing a paper id that does not exist, and the critic rejects it four times.",
    narration: {
      research: [
        PUBLISHED_NARRATION.research + " This time the synthesis cites the Secret Recipe paper as arXiv 2412.13338, an id that is not that paper.",
        "Research runs again with the critic's issue in its context, and cites arXiv 2412.13338 again.",
      ],
      "verify-research": "The critic finds the recipe's source for the learning rate and batch size does not exist as cited: a hard issue, so research runs again (at most 3 times).",
    },
    answer(info) {
      if (at(info, "research", "synthesis")) return JSON.parse(JSON.stringify(publishedAnswer(info)).replaceAll("2412.13337", "2412.13338"));
      if (at(info, "verify-research", "critic")) {
        return {
          verdict: "fail",
          issues: [{ severity: "hard", text: "arXiv 2412.13338 is not \"Unveiling the Secret Recipe\" (that is 2412.13337): the source of the learning rate and the effective batch does not say what the recipe attributes to it." }],
          summary: `Round ${info.count}: the recipe still cites a paper id that does not hold its claims.`,
        };
      }
      return undefined;
    },
  },
  {
    reason: "resource-missing",
    task: TASK_TYPO,
    story: "the task names a dataset that does not exist (a typo); the run never substitutes the one that does.",
    narration: {
      "intake-and-planning": "The intake freezes the baseline as written, dataset trl-lib/Capybarra included.",
      research: "The finders search as in the published run; the dataset finder finds no trl-lib/Capybarra (only trl-lib/Capybara, not the same id).",
      resources: "The dataset checker confirms trl-lib/Capybarra does not exist. Nothing is substituted (R3): the run stops for the user to fix the task.",
    },
    answer(info) {
      if (at(info, "intake-and-planning", "worker")) {
        const base = publishedAnswer(info);
        return { ...base, summary: base.summary.replace("trl-lib/Capybara", "trl-lib/Capybarra"), baseline: { ...base.baseline, dataset: "trl-lib/Capybarra" } };
      }
      if (at(info, "research", "finder") && agentNameOf(info).endsWith("dataset-inspection")) {
        return { findings: [], notes: "No dataset trl-lib/Capybarra on the Hub (404). trl-lib/Capybara exists and may be what was meant; it is not used in its place." };
      }
      if (at(info, "resources", "checker") && agentNameOf(info).endsWith("dataset-inspection")) {
        return { resource: "trl-lib/Capybarra", kind: "dataset", exists: false, id: null, url: null, params_b: null, notes: "404 on the Hub; trl-lib/Capybara exists but is not substituted (R3)" };
      }
      return undefined;
    },
  },
  {
    reason: "no-hardware-fits",
    task: TASK_HUGE,
    story: "the model is too large for any hardware tier: the run stops before any spend instead of picking a smaller model.",
    narration: {
      "intake-and-planning": "The intake freezes the baseline: lora, deepseek-ai/DeepSeek-V3, trl-lib/Capybara, 2048 (assumed).",
      research: "The finders and the synthesis work as in the published run, for the model the task names.",
      resources: "The model checker reports 671B parameters: about 1610 GB at two bytes a parameter plus a fifth, more than any priced tier holds (h200x8 has 1128 GB). The run stops; it never picks a smaller model on its own.",
    },
    answer(info) {
      const model = "deepseek-ai/DeepSeek-V3";
      if (at(info, "intake-and-planning", "worker")) {
        const base = publishedAnswer(info);
        return { ...base, summary: base.summary.replace("Qwen/Qwen2-0.5B", model), baseline: { ...base.baseline, model } };
      }
      if (at(info, "research", "finder") && agentNameOf(info).endsWith("example-code-discovery")) {
        const base = publishedAnswer(info);
        return { ...base, findings: base.findings.map((finding) => ({ ...finding, summary: finding.summary.replace("whose LoRA example trains Qwen/Qwen2-0.5B on trl-lib/Capybara", "with a LoRA example (use_peft, lora_r, lora_alpha)") })) };
      }
      if (at(info, "research", "synthesis")) {
        const base = publishedAnswer(info);
        return { ...base, summary: base.summary.replace("TRL's sft.py (which names this model and dataset)", "TRL's sft.py") };
      }
      if (at(info, "resources", "checker") && agentNameOf(info).endsWith("model-inspection")) {
        return { resource: model, kind: "model", exists: true, id: model, url: `https://huggingface.co/${model}`, params_b: 671, notes: "Public; DeepseekV3ForCausalLM, a mixture of experts with 671B parameters in total (37B active)." };
      }
      return undefined;
    },
  },
  {
    reason: "step-blocked",
    story: "the implementation cannot put the script where a job can fetch it: the token is read-only.",
    narration: { implement: "The worker writes the script but cannot upload it: the token has read access only (403 creating the scripts repository), and a job cannot run a local path (R13). It reports the step blocked instead of pretending." },
    answer(info) {
      if (!at(info, "implement", "worker")) return undefined;
      return {
        status: "blocked",
        summary: "train_sft_lora.py is written but cannot be uploaded: the HF token has read scope only (403 Forbidden creating specc-example/ml-research-scripts). A job cannot fetch a local file (R13); a token with write access is needed, also for push_to_hub.",
        outputs: { script: "train_sft_lora.py, written locally, not uploaded" },
        evidence: ["hf repo create specc-example/ml-research-scripts --repo-type dataset: 403 Forbidden (token role: read)"],
      };
    },
  },
  {
    reason: "smoke-test-failed",
    story: "the CPU smoke test crashes with a failure the taxonomy has no fix for, so it is reported, not retried.",
    narration: { "cpu-smoke-test": "The smoke run dies with a segmentation fault in the tokenizer: no failure class the taxonomy knows, so there is no automatic fix and no retry; the log excerpt goes to the user." },
    answer(info) {
      if (!at(info, "cpu-smoke-test", "worker")) return undefined;
      return smokeFailure("Fatal Python error: Segmentation fault\n\nCurrent thread 0x00007f3a2c1f6740 (most recent call first):\n  File \"/usr/local/lib/python3.12/site-packages/tokenizers/implementations/base_tokenizer.py\", line 290 in encode_batch", "The process crashed while tokenizing.");
    },
  },
  {
    reason: "repetition-detected",
    story: "the CPU smoke test fails the same way every time while the fixer keeps proposing the same fix.",
    narration: { "cpu-smoke-test": "Every attempt fails with the same missing module, because the smoke command runs the script with python instead of uv run, so its PEP 723 dependencies are never installed; the fixer keeps adding the same dependency. The third identical failure injects the repetition guard's correction; the fourth stops the run." },
    answer(info) {
      if (at(info, "cpu-smoke-test", "worker")) {
        return smokeFailure("  File \"/app/train_sft_lora.py\", line 12, in <module>\n    import trackio\nModuleNotFoundError: No module named 'trackio'", "trackio is not installed.", "python train_sft_lora.py --max_steps 3 --train_rows 16 --eval_rows 4 --report_to none --push_to_hub false --use_cpu");
      }
      if (at(info, "cpu-smoke-test", "fixer")) {
        return { analysis: "trackio is not importable in the environment the script runs in.", failure_class: "import-error", changes: { dependencies: "add trackio" }, description: "Add trackio to the script's dependencies." };
      }
      return undefined;
    },
  },
  {
    reason: "needs-approval",
    params: ["mode=interactive"],
    story: "an interactive run: the first billable job, the GPU preflight, waits for the user's approval.",
    narration: {},
    end: "In interactive mode no billable job starts on the run's own authority: the GPU preflight (t4-small, at most $0.20) needs the user's approval, given by resuming with --approve gpu-preflight.",
    answer: () => undefined,
  },
  {
    reason: "cost-cap-reached",
    task: TASK_3_USD,
    story: "a 3 USD cap: the full job's worst case (one L40S for 2 hours, $3.60) does not fit what the preflights left.",
    narration: {
      "intake-and-planning": "As in the published run, under a 3 USD cap.",
    },
    end: "The three preflights committed $0.60 of the $3 cap; the job's worst case is $3.60 (l40sx1 at $1.80/h for its 2-hour timeout), more than the $2.40 left, so it is never submitted.",
    answer(info) {
      if (!at(info, "intake-and-planning", "worker")) return undefined;
      const base = publishedAnswer(info);
      return { ...base, summary: base.summary.replace("10 USD", "3 USD") };
    },
  },
  {
    reason: "oom-ladder-exhausted",
    story: `the GPU preflight ${VIOLATIONS.nextOomRung.what}: the OOM ladder is climbed one rung per failure and then stops.`,
    narration: { "gpu-preflight": "Every attempt runs out of CUDA memory. The driver climbs the R7 ladder one rung per failure, never touching the sequence length or the method: halve the per-device batch (8 to 4, accumulation 8 to 16), then gradient checkpointing, then the next tier (t4-small to l4x1); the worker applies each required change. After the last rung the ladder is exhausted." },
    answer(info) {
      if (!at(info, "gpu-preflight", "worker")) return undefined;
      const oom = VIOLATIONS.nextOomRung.answer(info);
      return { ...publishedAnswer(info), status: "failed", log_tail: oom.log_tail, cost_usd: 0.05 };
    },
  },
  {
    reason: "preflight-failed",
    story: "the published preflight, except that attempt 2 dies in a CUDA kernel (an illegal memory access), a failure the taxonomy has no class for.",
    narration: { "gpu-preflight": "Attempt 1 fails on the LoRA config Trackio cannot store, and the fixer serializes it, as in the published run. Attempt 2 crashes in the backward pass with a CUDA illegal memory access: no failure class matches it, so the driver reports the log instead of guessing a fix." },
    answer(info) {
      if (!at(info, "gpu-preflight", "worker") || info.count !== 2) return undefined;
      return {
        ...publishedAnswer(info),
        status: "failed",
        log_tail: [
          "{'loss': 1.721, 'grad_norm': 0.39, 'learning_rate': 9.9e-05, 'epoch': 0.02}",
          "Traceback (most recent call last):",
          "  File \"/app/train_sft_lora.py\", line 131, in main",
          "    trainer.train()",
          "  File \"/usr/local/lib/python3.12/site-packages/transformers/trainer.py\", line 2618, in _inner_training_loop",
          "    tr_loss_step = self.training_step(model, inputs, num_items_in_batch)",
          "  File \"/usr/local/lib/python3.12/site-packages/torch/autograd/graph.py\", line 824, in _engine_run_backward",
          "    return Variable._execution_engine.run_backward(  # Calls into the C++ engine to run the backward pass",
          "RuntimeError: CUDA error: an illegal memory access was encountered",
          "CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.",
          "For debugging consider passing CUDA_LAUNCH_BLOCKING=1",
          "Compile with `TORCH_USE_CUDA_DSA` to enable device-side assertions.",
        ].join("\n"),
      };
    },
  },
  {
    reason: "checklist-incomplete",
    story: `the job readiness worker ${VIOLATIONS.checklistEvidence.what}.`,
    narration: { "job-readiness": "The worker marks every pre-submit checklist item satisfied but gives no evidence for any: an item without evidence is not done, and nothing is submitted." },
    answer(info) {
      if (!at(info, "job-readiness", "worker")) return undefined;
      return { ...publishedAnswer(info), items: VIOLATIONS.checklistEvidence.answer(info).items };
    },
  },
  {
    reason: "submit-invariant-violated",
    story: `the job readiness worker ${VIOLATIONS.checkSubmitInvariant.what}.`,
    narration: { "job-readiness": "The checklist is complete, but the job is described with its code as ./train_sft_lora.py, a path on this machine the remote job cannot see (R13): the submit invariant refuses it before anything is reserved." },
    answer(info) {
      if (!at(info, "job-readiness", "worker")) return undefined;
      const base = publishedAnswer(info);
      return { ...base, job: { ...base.job, code: { kind: "path", value: "./train_sft_lora.py" }, command: base.job.command.replace(SCRIPT_URL, "./train_sft_lora.py") } };
    },
  },
  {
    reason: "monitoring-budget-exhausted",
    story: "the job hangs at step 212 and its status never leaves running: the monitor's checks run out at the job's timeout.",
    narration: { "full-job": "The job is submitted as in the published run, then hangs at step 212 (the log stops moving) while its status stays running. The monitor checks every 2 minutes; after as many checks as the 2-hour timeout holds, plus 3, the run stops and asks the monitor to cancel the job. Its $3.60 reservation stays committed." },
    answer(info) {
      if (!at(info, "full-job", "monitor")) return undefined;
      if (contextOf(info).cancel === true) return cancelled(info, 3.6);
      const minutes = Math.min(2 * info.count, 120);
      return { status: "running", alerts: [], log_tail: "step 212/494 loss 1.228 lr 6.1e-05 epoch 0.86\neval at step 200: eval_loss 1.323", metrics: { step: 212, epoch: 0.86, loss: 1.228, learning_rate: 6.1e-5, eval_loss: 1.323 }, cost_usd: Number((minutes * 0.03).toFixed(2)) };
    },
  },
  {
    reason: "retries-exhausted",
    story: "the full job dies with a CUDA error the failure taxonomy has no fix for: no retry.",
    narration: { "full-job": "The job is submitted as in the published run; at the second check it has failed with an illegal memory access, a failure no class of the taxonomy covers, so it is not retried: its log goes to the user." },
    answer(info) {
      if (!at(info, "full-job", "monitor") || info.count === 1) return undefined;
      return { status: "failed", alerts: [], log_tail: "step 31/494 loss 1.539\nRuntimeError: CUDA error: an illegal memory access was encountered\nCompile with `TORCH_USE_CUDA_DSA` to enable device-side assertions.", metrics: { step: 31, loss: 1.539 }, cost_usd: 0.12 };
    },
  },
  {
    reason: "alert-unresolved",
    story: "a training alert, and the job cannot be confirmed cancelled: it may still be billing.",
    narration: { "full-job": "At the second check the monitor reports a divergence alert (loss nan). A job with alerts is cancelled before anything else is decided, but the cancel request fails and the job still shows running: the run stops, saying the job may be billing until its timeout." },
    answer(info) {
      if (!at(info, "full-job", "monitor") || info.count === 1) return undefined;
      if (contextOf(info).cancel === true) return { status: "running", alerts: [], log_tail: `hf jobs cancel ${contextOf(info).job?.job_id}: 503 Service Unavailable`, metrics: {}, cost_usd: 0.15 };
      return { status: "running", alerts: [{ kind: "diverged", text: "trackio alert (ERROR): loss is nan at step 38" }], log_tail: "step 38/494 loss nan lr 9.86e-05", metrics: { step: 38, loss: null, learning_rate: 9.86e-5 }, cost_usd: 0.12 };
    },
  },
  {
    reason: "completion-criteria-unmet",
    story: "the base model is never evaluated, so the final verification cannot find eval numbers next to the baseline's.",
    narration: {
      "evaluation-and-persistence": "The adapter is persisted and the dashboard linked, but only the adapter is evaluated: the base model's numbers are missing.",
      "final-verification": "The completion critic finds criterion D2 (evaluation next to the baseline model's) without evidence and fails the run.",
    },
    answer(info) {
      if (at(info, "evaluation-and-persistence", "worker")) {
        const base = publishedAnswer(info);
        return { ...base, summary: `Eval loss 1.21 on the test split with the adapter; the adapter's files are on the Hub at https://huggingface.co/${ADAPTER_REPO}.`, outputs: { ...base.outputs, evaluation: { split: "test (200 conversations)", adapter_eval_loss: 1.21 } } };
      }
      if (at(info, "final-verification", "critic")) {
        const base = publishedAnswer(info);
        return {
          ...base,
          criteria: base.criteria.map((criterion) => (criterion.id === "D2" ? { id: "D2", met: false, evidence: "only the adapter's eval loss (1.21) is reported; the base model was not evaluated" } : criterion)),
          verdict: "fail",
          summary: "The adapter and dashboard are in place, but the evaluation has no baseline numbers to compare with.",
        };
      }
      return undefined;
    },
  },
];

/** The shell word of a task, for the header. */
function argsLine(stop) {
  return [`--task "${stop.task ?? TASK}"`, ...(stop.params ?? []).map((param) => `--param ${param}`)].join(" ");
}

/** The run's arguments, as `specc run` builds them from --task and --param. */
export function argsOf(stop) {
  const args = { task: stop.task ?? TASK };
  for (const param of stop.params ?? []) {
    const [name, value] = param.split("=");
    args[name] = name === "cost_cap_usd" ? Number(value) : value;
  }
  return args;
}

/** One stop's fixture. */
export async function recordStop(stop, pipeline = loadPipeline()) {
  const file = `examples/stops/${stop.reason}.jsonl`;
  const recorded = await recordFixture({
    pipeline,
    args: argsOf(stop),
    answer: (info) => stop.answer(info) ?? publishedAnswer(info),
    narration: { ...PUBLISHED_NARRATION, ...stop.narration },
    header: [
      `Stop fixture ${stop.reason}: ${stop.story}`,
      `args: ${argsLine(stop)}`,
      `Replay: npx specc run ${SPEC} ${argsLine(stop)} --executor replay:${file}`,
      "Generated by examples/stops/record.mjs (npm run build first); do not edit by hand. The steps before the stop are the published run's (examples/qwen2-capybara).",
    ],
  });
  if (stop.end) {
    const lines = recorded.text.trimEnd().split("\n");
    lines.splice(lines.length - 2, 0, `// ${stop.end}`);
    recorded.text = `${lines.join("\n")}\n`;
  }
  return { ...recorded, file };
}

/** Every stop's fixture, in the order of STOPS. */
export async function recordStops() {
  const pipeline = loadPipeline();
  const fixtures = [];
  for (const stop of STOPS) fixtures.push({ stop, ...(await recordStop(stop, pipeline)) });
  return fixtures;
}

if (isMain(import.meta.url)) {
  let wrong = 0;
  for (const { stop, text, result, calls } of await recordStops()) {
    writeFileSync(join(HERE, `${stop.reason}.jsonl`), text);
    const ok = result.stoppedReason === stop.reason;
    if (!ok) wrong++;
    process.stdout.write(`${ok ? "wrote" : "WRONG"} examples/stops/${stop.reason}.jsonl: ${calls} agent calls, ${result.status} (${result.stoppedReason})${result.step ? ` at ${result.step}` : ""}\n`);
  }
  if (wrong > 0) process.exitCode = 1;
}
