import { getLlama, LlamaChat, LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel } from "node-llama-cpp";
import { buildPrompt, measurementFrom, type StreamMeasurement, type StreamTimes } from "./measurement.ts";

/** How the direct path is set up; mirrors the model entry Hearth's server gets. */
export interface DirectPathOptions {
  modelPath: string;
  threads: number;
  contextSize: number;
  /** Sequences in the context, like the server's `parallel`; one of them is used. */
  sequences: number;
}

export interface GenerationRequest {
  prompt: string;
  maxTokens: number;
  seed: number;
}

/**
 * node-llama-cpp called in-process, with no gateway in between: the reference Hearth's HTTP path
 * is compared with. Uses `LlamaChat` with the model's own chat wrapper, greedy sampling.
 */
export class DirectPath {
  readonly loadMilliseconds: number;
  private readonly llama: Llama;
  private readonly model: LlamaModel;
  private readonly context: LlamaContext;
  private readonly sequence: LlamaContextSequence;
  private readonly chat: LlamaChat;

  private constructor(llama: Llama, model: LlamaModel, context: LlamaContext, loadMilliseconds: number) {
    this.llama = llama;
    this.model = model;
    this.context = context;
    this.sequence = context.getSequence();
    this.chat = new LlamaChat({ contextSequence: this.sequence });
    this.loadMilliseconds = loadMilliseconds;
  }

  static async load(options: DirectPathOptions): Promise<DirectPath> {
    const started = performance.now();
    const llama = await getLlama({ gpu: false, build: "never", maxThreads: options.threads, logLevel: LlamaLogLevel.error });
    // Same load settings as Hearth's engine on CPU (src/providers/local-llama/engine.ts), so the
    // comparison isolates what the gateway adds: no mmap, the repacked copy is the only one.
    const model = await llama.loadModel({ modelPath: options.modelPath, useMmap: false });
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: options.sequences,
      threads: options.threads,
    });
    return new DirectPath(llama, model, context, performance.now() - started);
  }

  /** The benchmark prompt for measurement `index`, cut to `promptTokens` tokens of this model. */
  prompt(index: number, promptTokens: number): string {
    return buildPrompt(
      index,
      promptTokens,
      (text) => this.model.tokenize(text),
      (tokens) => this.model.detokenize(tokens),
    );
  }

  /** One generation from an empty sequence, timed like the HTTP path. */
  async generate(request: GenerationRequest): Promise<StreamMeasurement> {
    await this.sequence.clearHistory();
    const meterBefore = this.sequence.tokenMeter.getState();
    let completionTokens = 0;
    const times: StreamTimes = { started: 0, firstToken: undefined, lastToken: undefined, finished: 0 };
    times.started = performance.now();
    const response = await this.chat.generateResponse(
      [
        { type: "user", text: request.prompt },
        { type: "model", response: [] },
      ],
      {
        maxTokens: request.maxTokens,
        temperature: 0,
        seed: request.seed,
        onToken: (tokens) => {
          if (tokens.length === 0) return;
          const now = performance.now();
          times.firstToken ??= now;
          times.lastToken = now;
          completionTokens += tokens.length;
        },
      },
    );
    times.finished = performance.now();
    const used = this.sequence.tokenMeter.diff(meterBefore);
    return measurementFrom(times, used.usedInputTokens, completionTokens, request.maxTokens, response.metadata.stopReason);
  }

  async dispose(): Promise<void> {
    this.chat.dispose();
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
