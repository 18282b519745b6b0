import type { HashProgress } from '../core/hash.js'
import { formatBytes } from '../shared/format.js'

export interface ProgressOptions {
  /** Where the line goes. Default: stderr. */
  stream?: { isTTY?: boolean; write(text: string): unknown }
  env?: Readonly<Record<string, string | undefined>>
  /** Stay quiet for this long: most scans end before anyone needs to be told. Default 2 s. */
  delayMs?: number
  label?: string
}

/**
 * A one-line progress display for long scans, redrawn in place. Only on a terminal and never under CI, so
 * CI logs get no stream of lines; `finish()` erases it, leaving the summary as the only trace.
 */
export function createProgressLine(options: ProgressOptions = {}) {
  const stream = options.stream ?? process.stderr
  const env = options.env ?? process.env
  const enabled = Boolean(stream.isTTY) && !env.CI
  const showAfter = Date.now() + (options.delayMs ?? 2000)
  let shown = false
  return {
    update(progress: HashProgress): void {
      if (!enabled || Date.now() < showAfter) return
      shown = true
      stream.write(`\r\u001b[K${options.label ?? '[image-invalidate]'} hashing ${progress.files}/${progress.totalFiles} files, ${formatBytes(progress.bytes)}`)
    },
    finish(): void {
      if (shown) stream.write('\r\u001b[K')
    },
  }
}
