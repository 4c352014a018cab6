// The object kinds (assembly/kinds.ts holds the same numbers) and how ipcs shows each one's
// state words.

export const Kind = {
  shm: 1,
} as const;
export type KindName = keyof typeof Kind;

const names: Record<number, KindName> = Object.fromEntries(
  Object.entries(Kind).map(([k, v]) => [v, k as KindName]),
);

export function kindName(kind: number): string {
  return names[kind] ?? `kind#${kind}`;
}

/** The meaning of each kind's four ipcs words (assembly: kindSummary). */
const stateWords: Record<number, readonly string[]> = {
  [Kind.shm]: ['bytes'],
};

export function describeState(kind: number, words: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  (stateWords[kind] ?? []).forEach((key, i) => { out[key] = words[i]!; });
  return out;
}
