// How the asset webhook sends: through the REST client `apply` uses (batches of 8, retries, the 402/410
// wording) when a token is configured; without one, inside a Vercel Function, through `@vercel/functions`.
import { MAX_BATCH_SIZE } from '../core/plan.js'
import { nonEmpty, type Env } from '../shared/environment.js'
import { resolveVercelTarget } from '../vercel/target.js'
import type { VercelTarget } from '../vercel/client.js'
import type * as VercelFunctions from '@vercel/functions'
import type { AssetWebhookOptions, FailedImage } from '../types.js'

export interface SendOutcome {
  invalidated: string[]
  failed: FailedImage[]
}

export interface Sender {
  /** How the URLs travel, for the answer: `the Vercel API` or `@vercel/functions`. */
  via: string
  send(srcImages: readonly string[]): Promise<SendOutcome>
}

/**
 * Where Vercel's runtime puts the request context (its `waitUntil`, `purge`…), as `@vercel/functions` reads
 * it (get-context.js). Outside a Vercel Function's request it is absent, and `invalidateBySrcImage` then
 * resolves without doing anything.
 */
const REQUEST_CONTEXT = Symbol.for('@vercel/request-context')

function hasVercelPurge(): boolean {
  const context = (globalThis as { [REQUEST_CONTEXT]?: { get?: () => { purge?: unknown } | undefined } })[REQUEST_CONTEXT]
  return Boolean(context?.get?.()?.purge)
}

/** The sender for this request, or why none can send: a sentence that never holds the token. */
export async function chooseSender(options: AssetWebhookOptions, env: Env): Promise<Sender | { problem: string }> {
  const target = resolveVercelTarget(options, options.root ?? process.cwd(), env)
  if (!('problem' in target)) return apiSender(target, options)
  if (nonEmpty(options.token) ?? nonEmpty(env.VERCEL_TOKEN)) return target
  if (hasVercelPurge()) return loadFunctionsSender()
  return {
    problem:
      "no Vercel token, and this request is not running inside a Vercel Function, where @vercel/functions' invalidateBySrcImage " +
      'would do nothing without saying so: set VERCEL_TOKEN and VERCEL_PROJECT_ID, or serve this route from a Vercel Function',
  }
}

function apiSender(target: VercelTarget, options: AssetWebhookOptions): Sender {
  return {
    via: 'the Vercel API',
    async send(srcImages) {
      const [{ VercelClient }, { invalidateInBatches }] = await Promise.all([import('../vercel/client.js'), import('../vercel/batches.js')])
      const client = new VercelClient(target, { retries: options.retries, timeoutMs: options.requestTimeoutMs })
      try {
        const result = await invalidateInBatches(client, srcImages, { concurrency: options.concurrency })
        return { invalidated: result.invalidated, failed: result.failed }
      } finally {
        await client.close()
      }
    },
  }
}

async function loadFunctionsSender(): Promise<Sender | { problem: string }> {
  let functions: typeof VercelFunctions
  try {
    functions = await import('@vercel/functions')
  } catch {
    return { problem: 'no Vercel token, so sending goes through @vercel/functions, which is not installed: npm install @vercel/functions' }
  }
  return {
    via: '@vercel/functions',
    async send(srcImages) {
      const outcome: SendOutcome = { invalidated: [], failed: [] }
      // In calls of at most 8, as the REST endpoint behind it takes them.
      for (let i = 0; i < srcImages.length; i += MAX_BATCH_SIZE) {
        const batch = srcImages.slice(i, i + MAX_BATCH_SIZE)
        try {
          await functions.invalidateBySrcImage([...batch])
          outcome.invalidated.push(...batch)
        } catch (error) {
          outcome.failed.push(...batch.map((srcImage) => ({ srcImage, reason: `invalidateBySrcImage failed: ${(error as Error).message}` })))
        }
      }
      return outcome
    },
  }
}
