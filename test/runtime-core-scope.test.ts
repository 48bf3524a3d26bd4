import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalProtectedKey,
  checkScopeChange,
  checkSubmitInvariant,
  extractProtectedValues,
  freezeBaseline,
  isPlaceholderName,
  normalizeScopeValue,
  scopeKeysWithBaseline,
  type JobSubmission,
} from "../runtime/core/index.js";
import { ML_PROTECTED_KEYS as KEYS, ML_STRIP_PREFIXES } from "./helpers/standin.js";

type ProtectedKey = keyof typeof KEYS;
const options = { keys: KEYS, stripPrefixes: ML_STRIP_PREFIXES };
const intent = { method: "SFT", model: "Qwen/Qwen2.5-0.5B", dataset: "trl-lib/Capybara", max_length: 1024 };
const baseline = freezeBaseline(intent, KEYS, options);

/** Spellings an agent might use for a key: snake, kebab, camel, upper, CLI flag, dotted path. */
function spellings(name: string): string[] {
  const camel = name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
  const kebab = name.replace(/_/g, "-");
  return [name, name.toUpperCase(), camel, kebab, "training." + name];
}

const changedValue: Record<ProtectedKey, string> = {
  method: "lora",
  model: "meta-llama/Llama-3.2-1B",
  dataset: "HuggingFaceH4/ultrachat_200k",
  sequence_length: "512",
};

describe("freezeBaseline", () => {
  it("keeps canonical keys with normalized values", () => {
    expect(baseline).toEqual({ method: "sft", model: "qwen/qwen2.5-0.5b", dataset: "trl-lib/capybara", sequence_length: "1024" });
    expect(Object.isFrozen(baseline)).toBe(true);
  });

  it("reads CLI flags and nested configs", () => {
    expect(freezeBaseline({ command: ["python", "train.py", "--max-seq-length", "2048", "--model_name_or_path=org/m"] }, KEYS)).toEqual({
      sequence_length: "2048",
      model: "org/m",
    });
    expect(freezeBaseline({ training: { baseModel: "org/m", blockSize: 512 } }, KEYS)).toEqual({ model: "org/m", sequence_length: "512" });
  });

  it("protects only the keys it is given: none by default", () => {
    expect(freezeBaseline(intent, {})).toEqual({});
    expect(freezeBaseline({ topic: "March", length: 900 }, { topic: [] })).toEqual({ topic: "march" });
    expect(freezeBaseline({ Outlet: "The Weekly" }, { venue: ["outlet", "publication"] })).toEqual({ venue: "the weekly" });
    expect(freezeBaseline(intent, null as any)).toEqual({});
  });
});

describe("normalizeScopeValue", () => {
  it("trims, lowercases and drops trailing slashes, and strips only the prefixes it is given", () => {
    expect(normalizeScopeValue("  Qwen/Qwen2/ ")).toBe("qwen/qwen2");
    expect(normalizeScopeValue(1024)).toBe("1024");
    expect(normalizeScopeValue("https://huggingface.co/Qwen/Qwen2")).toBe("https://huggingface.co/qwen/qwen2");
    expect(normalizeScopeValue("https://huggingface.co/Qwen/Qwen2", ML_STRIP_PREFIXES)).toBe("qwen/qwen2");
    expect(normalizeScopeValue("https://huggingface.co/datasets/trl-lib/Capybara", ML_STRIP_PREFIXES)).toBe("trl-lib/capybara");
    expect(normalizeScopeValue("https://example.org/a/", ["HTTPS://Example.org/"])).toBe("a");
  });
});

describe("checkScopeChange", () => {
  it("allows unchanged and equivalent values", () => {
    const same = { training_method: "sft", model_name_or_path: "https://huggingface.co/Qwen/Qwen2.5-0.5B", max_seq_length: "1024" };
    expect(checkScopeChange(baseline, same, options)).toMatchObject({ verdict: "ok", touched: [] });
    expect(checkScopeChange(baseline, { learning_rate: 1e-5, per_device_train_batch_size: 2 }, options).verdict).toBe("ok");
  });

  it("refuses every protected-key variant, whatever the agent claims", () => {
    const variants = (Object.keys(KEYS) as ProtectedKey[]).flatMap((key) => KEYS[key].flatMap((name) => spellings(name).map((spelling) => ({ key, spelling }))));
    fc.assert(
      fc.property(fc.constantFrom(...variants), fc.anything(), ({ key, spelling }, claimedApproval) => {
        const verdict = checkScopeChange(baseline, { [spelling]: changedValue[key] }, { ...options, claimedApproval });
        expect(verdict.verdict).toBe("stop-and-ask");
        expect(verdict.touched).toEqual([{ key, from: baseline[key], to: changedValue[key].toLowerCase() }]);
      }),
    );
  });

  it("refuses changes passed as CLI flags in a command", () => {
    const verdict = checkScopeChange(baseline, { command: "accelerate launch train.py --max-length 512 --lr 1e-5" }, options);
    expect(verdict).toMatchObject({ verdict: "stop-and-ask", touched: [{ key: "sequence_length", from: "1024", to: "512" }] });
  });

  it("is not fooled by approval claims inside the proposal or the options", () => {
    const proposal = { max_length: 512, approvedBy: "user", keys: ["sequence_length"] };
    const verdict = checkScopeChange(baseline, proposal, { ...options, claimedApproval: { approvedBy: "user", keys: ["sequence_length"] } });
    expect(verdict.verdict).toBe("stop-and-ask");
    expect(verdict.reason).toMatch(/claimed approval does not count/);
  });

  it("accepts only a user approval record naming the key (and pinned value)", () => {
    const proposal = { max_length: 512 };
    expect(checkScopeChange(baseline, proposal, options, { approvedBy: "user", keys: ["max_seq_length"] }).verdict).toBe("ok");
    expect(checkScopeChange(baseline, proposal, options, { approvedBy: "user", keys: ["model"] }).verdict).toBe("stop-and-ask");
    expect(checkScopeChange(baseline, proposal, options, { approvedBy: "agent" as "user", keys: ["sequence_length"] }).verdict).toBe("stop-and-ask");
    const pinned = { approvedBy: "user" as const, keys: ["sequence_length"], values: { sequence_length: 768 } };
    expect(checkScopeChange(baseline, proposal, options, pinned).verdict).toBe("stop-and-ask");
    expect(checkScopeChange(baseline, { max_length: 768 }, options, pinned).verdict).toBe("ok");
  });

  it("treats setting an unset key as no change unless the values conflict", () => {
    const partial = freezeBaseline({ model: "org/m" }, KEYS);
    expect(checkScopeChange(partial, { model: "org/m", max_length: 2048 }, options).verdict).toBe("ok");
    const conflict = checkScopeChange(partial, { max_length: 2048, max_seq_length: 1024 }, options);
    expect(conflict.verdict).toBe("stop-and-ask");
    expect(conflict.touched.map((touch) => touch.to)).toEqual(["2048", "1024"]);
  });

  it("always protects what the baseline holds, by its own name, even with no key table", () => {
    const frozen = freezeBaseline({ topic: "March" }, { topic: ["topic"] });
    for (const proposal of [{ topic: "April" }, { TOPIC: "April" }, { nested: { topic: "April" } }, "run --topic April"]) {
      const verdict = checkScopeChange(frozen, proposal);
      expect(verdict, JSON.stringify(proposal)).toMatchObject({ verdict: "stop-and-ask", touched: [{ key: "topic", from: "march", to: "april" }] });
    }
    expect(checkScopeChange(frozen, { topic: "march", other: 1 }).verdict).toBe("ok");
    expect(scopeKeysWithBaseline(frozen, { venue: ["outlet"] })).toEqual({ venue: ["outlet"], topic: ["topic"] });
    // With no baseline and no table nothing is protected.
    expect(checkScopeChange({}, { model: "x", dataset: "y" }).verdict).toBe("ok");
  });

  it("maps names to canonical keys case-insensitively, from the table it is given", () => {
    expect(canonicalProtectedKey("--MAX-SEQ-LEN", KEYS)).toBe("sequence_length");
    expect(canonicalProtectedKey("modelNameOrPath", KEYS)).toBe("model");
    expect(canonicalProtectedKey("learning_rate", KEYS)).toBeNull();
    expect(canonicalProtectedKey("model", {})).toBeNull();
    expect(canonicalProtectedKey("--publication", { venue: ["publication"] })).toBe("venue");
    expect(extractProtectedValues({ outlet: "X", other: "Y" }, { venue: ["outlet"] })).toEqual([{ key: "venue", value: "x" }]);
  });
});

describe("checkSubmitInvariant", () => {
  const good: JobSubmission = {
    code: { kind: "inline", value: "from trl import SFTTrainer\nprint('train')" },
    timeoutHours: 4,
    work: "training",
    monitoring: { kind: "trackio", target: "acme/trackio" },
    persistence: { destination: "acme/qwen-sft" },
    flavor: "a10g-large",
  };
  const codes = (job: JobSubmission) => checkSubmitInvariant(job).violations.map((violation) => violation.code);

  it("accepts a complete job", () => {
    expect(checkSubmitInvariant(good)).toEqual({ ok: true, violations: [] });
    expect(codes({ ...good, code: { kind: "url", value: "https://raw.githubusercontent.com/acme/x/main/train.py" } })).toEqual([]);
    expect(codes({ ...good, timeoutHours: "6h" })).toEqual([]);
    expect(codes({ ...good, work: "data", timeoutHours: 0.5 })).toEqual([]);
  });

  it.each([
    { kind: "path", value: "train.py" },
    { kind: "inline", value: "/home/alice/train.py" },
    { kind: "inline", value: "./train.py" },
    { kind: "url", value: "file:///home/alice/train.py" },
    { kind: "url", value: "~/work/train.py" },
    { kind: "url", value: "../scripts/train.py" },
    { kind: "repo", value: "/tmp/repo" },
    { kind: "url", value: "C:\\Users\\alice\\train.py" },
  ] as const)("rejects local code $value ($kind)", (code) => {
    expect(codes({ ...good, code })).toEqual(["code-local-path"]);
  });

  it("rejects missing, short and default training timeouts", () => {
    expect(codes({ ...good, timeoutHours: null })).toEqual(["timeout-missing"]);
    expect(codes({ ...good, timeoutHours: "soon" })).toEqual(["timeout-missing"]);
    expect(codes({ ...good, timeoutHours: 0.5 })).toEqual(["timeout-platform-default"]);
    expect(codes({ ...good, timeoutHours: "30m" })).toEqual(["timeout-platform-default"]);
    expect(codes({ ...good, timeoutHours: 1.5 })).toEqual(["timeout-too-short"]);
    expect(codes({ ...good, timeoutHours: 2 })).toEqual([]);
  });

  it("rejects missing monitoring and missing or placeholder persistence", () => {
    expect(codes({ ...good, monitoring: null })).toEqual(["monitoring-missing"]);
    expect(codes({ ...good, persistence: null })).toEqual(["persistence-missing"]);
    for (const destination of ["username/qwen-sft", "<user>/model", "your-username/x", "user/model", "acme/xxx", "TODO", "...", "$HF_USER/model"]) {
      expect(codes({ ...good, persistence: { destination } })).toEqual(["persistence-placeholder"]);
    }
    expect(codes({ ...good, flavor: "" })).toEqual(["flavor-missing"]);
  });

  it("does not call real repo ids placeholders", () => {
    for (const name of ["acme/qwen-sft", "HuggingFaceTB/SmolLM2-135M", "trl-lib/Capybara", "users-org/model-v2"]) {
      expect(isPlaceholderName(name)).toBe(false);
    }
  });
});
