// Waiting for a flip, whatever tells it (the API, the production site): polls that back off, a timeout
// that says what was last seen.
import { setTimeout as sleep } from 'node:timers/promises'
import { ImageInvalidateError } from '../core/errors.js'
import { formatDuration } from '../shared/format.js'

export interface WaitOptions {
  /** Give up after this long. Default 10 minutes. */
  timeoutMs?: number
  /**
   * First pause between two polls; it grows by a fifth each time, up to `maxIntervalMs`. Short, because
   * every second between the flip and the invalidation is a second of stale images. Default 1 s.
   */
  intervalMs?: number
  /** Longest pause: the longest a flip can go unseen. Default 2 s. */
  maxIntervalMs?: number
  /** Told about each poll that was not yet live. */
  onPoll?: (state: string) => void
}

const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000
const DEFAULT_POLL_INTERVAL_MS = 1_000

/**
 * The deployment will not go live, nothing was sent: it failed or was canceled (`IMAGE_INVALIDATE_DEPLOYMENT_FAILED`),
 * is gone (`…_DEPLOYMENT_GONE`), its domains could not be assigned (`…_ALIAS_ERROR`), or the wait timed out
 * (`…_WAIT_TIMEOUT`).
 */
export class NotLiveError extends ImageInvalidateError {
  override name = 'NotLiveError'
  constructor(
    code: 'IMAGE_INVALIDATE_DEPLOYMENT_FAILED' | 'IMAGE_INVALIDATE_DEPLOYMENT_GONE' | 'IMAGE_INVALIDATE_ALIAS_ERROR' | 'IMAGE_INVALIDATE_WAIT_TIMEOUT',
    message: string,
  ) {
    super(code, message)
  }
}

/**
 * What one poll saw: live or not, the state for the poll line, and what to advise should the wait time out
 * on it. `deferred` ends the wait without the flip, an expected outcome: why nothing is sent now.
 */
export interface PollResult {
  live: boolean
  state: string
  timeoutAdvice?: string
  deferred?: string
}

/**
 * Polls `check` until it says live or deferred, backing off between polls, and returns that last result.
 * Throws `NotLiveError` at the timeout, or when `check` throws one.
 */
export async function pollUntilLive(what: string, check: () => Promise<PollResult>, options: WaitOptions): Promise<PollResult> {
  const timeout = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
  const deadline = Date.now() + timeout
  let interval = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS
  const maxInterval = Math.max(interval, options.maxIntervalMs ?? 2_000)
  let last: PollResult
  for (;;) {
    last = await check()
    if (last.live || last.deferred) return last
    options.onPoll?.(last.state)
    const left = deadline - Date.now()
    if (left <= 0) break
    await sleep(Math.min(interval, left))
    interval = Math.min(maxInterval, interval * 1.2)
  }
  const advice = last.timeoutAdvice ? `. ${last.timeoutAdvice}` : ''
  throw new NotLiveError(
    'IMAGE_INVALIDATE_WAIT_TIMEOUT',
    // The state may carry parentheses of its own: it follows a colon, not inside another pair.
    `${what} was not live after ${formatDuration(timeout)}; last seen: ${last.state}; nothing was invalidated${advice}`,
  )
}
