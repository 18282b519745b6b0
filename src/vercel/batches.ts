import { failureOf, type Failure } from '../core/errors.js'
import { MAX_SOURCE_IMAGE_LENGTH } from '../core/keys.js'
import { MAX_BATCH_SIZE } from '../core/plan.js'
import type { BatchRecord, FailedImage } from '../types.js'
import { VercelApiError, type VercelClient } from './client.js'

export interface BatchResult {
  invalidated: string[]
  failed: FailedImage[]
  /** Every call made, in the order they ended, with what it carried. */
  calls: BatchRecord[]
  /** Set when a 401/402/403/404/410 stopped the run: its code and the sentence to show. */
  fatal?: Failure
}

export interface BatchOptions {
  /** Calls in flight at once. Default 4. */
  concurrency?: number
  dangerouslyDelete?: boolean
  /** Called as each call ends, for progress output. */
  onCall?: (call: BatchRecord) => void
}

const DEFAULT_CONCURRENCY = 4

/**
 * Invalidates `srcImages` in calls of at most 8, a bounded number in flight, each image sent once on the
 * way to success. Transient failures are retried below this (in the HTTP client). A batch rejected with 400
 * is split in halves until the offending image is alone, so one bad path does not block seven good ones.
 * A 401/402/403/404 stops the run: the calls not yet started are not made, and their images are reported.
 */
export async function invalidateInBatches(client: VercelClient, srcImages: readonly string[], options: BatchOptions = {}): Promise<BatchResult> {
  const result: BatchResult = { invalidated: [], failed: [], calls: [] }
  const sendable: string[] = []
  for (const src of new Set(srcImages)) {
    if (src.length > MAX_SOURCE_IMAGE_LENGTH) result.failed.push({ srcImage: src, reason: `longer than ${MAX_SOURCE_IMAGE_LENGTH} characters; not sent` })
    else sendable.push(src)
  }
  const queue: string[][] = []
  for (let i = 0; i < sendable.length; i += MAX_BATCH_SIZE) queue.push(sendable.slice(i, i + MAX_BATCH_SIZE))

  const send = createSender(client, result, options)
  const concurrency = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, 16))
  const worker = async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) await send(batch)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker))
  return result
}

/**
 * Sends one batch and records how it went in `result`: invalidated, rejected with 400 (then split in halves
 * until the offending image is alone), failed, or not sent because a 401/402/403/404/410 stopped the run.
 */
function createSender(client: VercelClient, result: BatchResult, options: BatchOptions) {
  const record = (call: BatchRecord) => {
    result.calls.push(call)
    options.onCall?.(call)
  }
  const send = async (batch: string[]): Promise<void> => {
    if (result.fatal) {
      for (const src of batch) result.failed.push({ srcImage: src, reason: 'not sent: the run stopped' })
      return
    }
    try {
      await client.invalidateSrcImages(batch, { dangerouslyDelete: options.dangerouslyDelete })
      record({ srcImages: batch, outcome: 'ok' })
      result.invalidated.push(...batch)
    } catch (error) {
      const reason = (error as Error).message
      if (error instanceof VercelApiError && error.status === 400) {
        record({ srcImages: batch, outcome: 'rejected', reason })
        if (batch.length === 1) result.failed.push({ srcImage: batch[0]!, reason })
        else {
          const half = Math.ceil(batch.length / 2)
          await send(batch.slice(0, half))
          await send(batch.slice(half))
        }
        return
      }
      record({ srcImages: batch, outcome: 'failed', reason })
      if (error instanceof VercelApiError && error.isFatal) result.fatal ??= failureOf(error)
      for (const src of batch) result.failed.push({ srcImage: src, reason })
    }
  }
  return send
}
