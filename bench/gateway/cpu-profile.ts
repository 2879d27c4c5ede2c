/**
 * Summarises a V8 `.cpuprofile` (as written by `node --cpu-prof`): where a gateway spends its CPU,
 * by function (self time) and by area (Hearth's own code, a dependency, Node's internals).
 */

/** The fields of a `.cpuprofile` this summary reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileEntry {
  name: string;
  /** Self time in milliseconds. */
  selfMilliseconds: number;
  /** Share of the busy (not idle) samples, 0..1. */
  share: number;
  /** Share of the busy samples with this entry anywhere on the stack (areas only; = share for functions). */
  inclusiveShare: number;
}

export interface ProfileSummary {
  totalMilliseconds: number;
  /** Share of samples that were idle (the event loop waiting). */
  idleShare: number;
  /** Milliseconds not idle. */
  busyMilliseconds: number;
  functions: ProfileEntry[];
  /** Largest self time first. */
  areas: ProfileEntry[];
  /** The same areas, largest inclusive share first. */
  areasInclusive: ProfileEntry[];
}

/** Where a script URL belongs: "hearth src/http", "undici", "node:internal/...", "(gc)", … */
export function areaOf(url: string, functionName: string): string {
  if (url === "") return `(${functionName.replace(/^\(|\)$/g, "") || "native"})`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency !== null) return dependency[1] as string;
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  const source = /\/(src\/[^/]+)\//.exec(url);
  if (source !== null) return `hearth ${source[1]}`;
  return url.replace(/^file:\/\//, "");
}

function shortLocation(url: string, lineNumber: number): string {
  if (url === "") return "";
  const trimmed = url.replace(/^file:\/\//, "").replace(/^.*?\/(node_modules|src)\//, "$1/");
  return `${trimmed}:${lineNumber + 1}`;
}

/** Self time per function and per area, largest first, `limit` of each; shares are of busy (not idle) time. */
export function summarizeProfile(profile: CpuProfile, limit = 15): ProfileSummary {
  const hits = new Map<number, number>();
  if (profile.samples !== undefined && profile.samples.length > 0) {
    for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  } else {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
  }
  const totalSamples = [...hits.values()].reduce((sum, count) => sum + count, 0);
  const totalMilliseconds = (profile.endTime - profile.startTime) / 1000;
  const millisecondsPerSample = totalSamples > 0 ? totalMilliseconds / totalSamples : 0;
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const byAreaInclusive = new Map<string, number>();
  let idle = 0;
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (count === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") {
      idle += count;
      continue;
    }
    const name = `${functionName || "(anonymous)"} ${shortLocation(url, lineNumber)}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + count);
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + count);
    const onStack = new Set<string>();
    for (let current: number | undefined = node.id; current !== undefined; current = parents.get(current)) {
      const frame = nodesById.get(current)?.callFrame;
      if (frame !== undefined && frame.functionName !== "(root)") onStack.add(areaOf(frame.url, frame.functionName));
    }
    for (const entry of onStack) byAreaInclusive.set(entry, (byAreaInclusive.get(entry) ?? 0) + count);
  }
  const busy = totalSamples - idle;
  const entries = (counts: Map<string, number>, order: Map<string, number> = counts) =>
    [...order.entries()]
      .toSorted((left, right) => right[1] - left[1])
      .slice(0, limit)
      .map(([name]) => {
        const count = counts.get(name) ?? 0;
        const inclusive = byAreaInclusive.get(name) ?? count;
        return { name, selfMilliseconds: count * millisecondsPerSample, share: busy > 0 ? count / busy : 0, inclusiveShare: busy > 0 ? inclusive / busy : 0 };
      });
  return {
    totalMilliseconds,
    idleShare: totalSamples > 0 ? idle / totalSamples : 0,
    busyMilliseconds: busy * millisecondsPerSample,
    functions: entries(byFunction).map((entry) => ({ ...entry, inclusiveShare: entry.share })),
    areas: entries(byArea),
    areasInclusive: entries(byArea, byAreaInclusive),
  };
}
