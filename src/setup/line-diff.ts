/**
 * The lines that differ between two versions of a small file (a config), as `- old` and `+ new` lines with
 * one line of context around each change: what `init --dry-run` shows of an edit. A longest common
 * subsequence over lines, which is plenty for files of a few hundred lines.
 */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n')
  const b = after.split('\n')
  // common[i][j]: the longest common subsequence of a[i..] and b[j..].
  const common = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--) common[i]![j] = a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!)
  const lines: Array<{ mark: ' ' | '-' | '+'; text: string }> = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ mark: ' ', text: a[i++]! })
      j++
    } else if (i < a.length && (j >= b.length || common[i + 1]![j]! >= common[i]![j + 1]!)) lines.push({ mark: '-', text: a[i++]! })
    else lines.push({ mark: '+', text: b[j++]! })
  }
  const near = (index: number) => lines.slice(Math.max(0, index - 1), index + 2).some((line) => line.mark !== ' ')
  return lines.filter((line, index) => line.mark !== ' ' || near(index)).map((line) => `${line.mark} ${line.text}`)
}
