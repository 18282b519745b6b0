// @module-tag floor
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createProgressLine } from '../src/plugin/progress.js'

const progress = { files: 1200, totalFiles: 20000, bytes: 3 * 1024 * 1024 }

function sink(isTTY: boolean) {
  const writes: string[] = []
  return { stream: { isTTY, write: (text: string) => writes.push(text) }, writes }
}

describe('createProgressLine', () => {
  it('redraws one line in place on a terminal once the delay has passed, and erases it at the end', () => {
    const { stream, writes } = sink(true)
    const line = createProgressLine({ stream, env: {}, delayMs: 0 })
    line.update(progress)
    line.update({ ...progress, files: 1300 })
    line.finish()
    expect(writes).toEqual([
      '\r\u001b[K[image-invalidate] hashing 1200/20000 files, 3.0 MiB',
      '\r\u001b[K[image-invalidate] hashing 1300/20000 files, 3.0 MiB',
      '\r\u001b[K',
    ])
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  it("stays quiet for the delay, then shows the line (fake timers: the delay is the package's own clock)", () => {
    vi.useFakeTimers()
    const { stream, writes } = sink(true)
    const line = createProgressLine({ stream, env: {}, delayMs: 2_000 })
    line.update(progress)
    vi.advanceTimersByTime(1_999)
    line.update(progress)
    expect(writes).toEqual([])
    vi.advanceTimersByTime(1)
    line.update(progress)
    expect(writes).toEqual(['\r\u001b[K[image-invalidate] hashing 1200/20000 files, 3.0 MiB'])
  })

  it('says nothing before the delay, under CI, or when the output is not a terminal', () => {
    for (const [tty, env, delayMs] of [
      [true, {}, 60_000],
      [true, { CI: 'true' }, 0],
      [false, {}, 0],
    ] as const) {
      const { stream, writes } = sink(tty)
      const line = createProgressLine({ stream, env, delayMs })
      line.update(progress)
      line.finish()
      expect(writes).toEqual([])
    }
  })
})
