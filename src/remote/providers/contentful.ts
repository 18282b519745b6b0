// Contentful: webhook request verification (Settings > Webhooks > Settings > Enable request verification).
// Contentful signs method, path, the headers it lists in x-contentful-signed-headers, the body and a
// millisecond x-contentful-timestamp with HMAC-SHA256; its own @contentful/node-apps-toolkit verifies that
// (verifyRequest, constant time), so it is used, loaded only for this provider.
// Topics: ContentManagement.Asset.<action>; publish, archive and save carry the asset with its file per
// locale (`fields.file[locale].url`, protocol-relative `//images.ctfassets.net/…`); unpublish and delete carry
// a DeletedAsset with its sys only, so their URL comes from `srcImages`.
import { recordOf, textOf } from '../../core/json.js'
import { ImageInvalidateError } from '../../core/errors.js'
import type * as ContentfulRequests from '@contentful/node-apps-toolkit/requests'
import { isFresh, refused, verified, type AssetProviderModule, type ParsedPayload, type SignedRequest, type Verification } from '../asset-webhook-provider.js'

const DEFAULT_MAX_AGE_SECONDS = 300
/** Contentful's rule for signing secrets: exactly 64 of these characters. */
const SECRET_SHAPE = /^[0-9a-zA-Z+/=_-]{64}$/
/** The asset actions that change or withdraw what its URL serves. */
const ACTIONS = new Set(['publish', 'unpublish', 'archive', 'delete', 'save'])

type Toolkit = typeof ContentfulRequests

/** Loaded with this module, which only a Contentful route loads; a failure is answered at the first request. */
const toolkit = loadToolkit()
toolkit.catch(() => undefined)

async function loadToolkit(): Promise<Toolkit> {
  try {
    return await import('@contentful/node-apps-toolkit/requests')
  } catch (error) {
    throw new ImageInvalidateError(
      'IMAGE_INVALIDATE_PEER_MISSING',
      'the contentful provider verifies requests with @contentful/node-apps-toolkit: install it (npm install @contentful/node-apps-toolkit)',
      { cause: error },
    )
  }
}

async function verify(request: SignedRequest): Promise<Verification> {
  if (!SECRET_SHAPE.test(request.secret))
    return refused('the configured secret is not a Contentful signing secret (64 letters, digits or +/=_-): copy it from the webhook settings')
  if (!request.headers.get('x-contentful-signature')) return refused('missing x-contentful-signature: enable request verification on the webhook')
  const maxAge = request.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS
  // The toolkit checks age only, with Date.now(); a timestamp from the future is refused here.
  if (!isFresh(Number(request.headers.get('x-contentful-timestamp')), request.now, maxAge))
    return refused(`x-contentful-timestamp is missing or more than ${maxAge} s away from now: a stale or replayed request`)
  const { verifyRequest } = await toolkit
  const canonical = {
    method: request.method as 'POST',
    path: request.path,
    headers: headerRecord(request.headers),
    body: Buffer.from(request.body).toString('utf8'),
  }
  try {
    return verifyRequest(request.secret, canonical, maxAge) ? verified : refused('x-contentful-signature does not match the request')
  } catch {
    return refused('x-contentful-signed-headers or x-contentful-timestamp is missing or malformed, or the request is older than the window')
  }
}

function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {}
  headers.forEach((value, key) => {
    record[key] = value
  })
  return record
}

function parse(data: unknown, headers: Headers): ParsedPayload {
  const body = recordOf(data)
  const sys = recordOf(body?.sys)
  const topic = headers.get('x-contentful-topic') ?? ''
  const [, type, action] = /^ContentManagement\.(\w+)\.(\w+)$/.exec(topic) ?? []
  if (!sys || !type || !action) return { problem: 'not a Contentful webhook call: expected an x-contentful-topic header and a body with sys' }
  if (type !== 'Asset') return { ignore: `topic ${topic} is not about an asset` }
  if (!ACTIONS.has(action)) return { ignore: `topic ${topic} does not change what an asset's URL serves` }
  return { assets: [{ event: topic, id: textOf(sys.id), urls: fileUrls(recordOf(body?.fields)) }] }
}

/** The URL of the asset's file in every locale, `https:` where Contentful writes it protocol-relative. */
function fileUrls(fields: Record<string, unknown> | undefined): string[] {
  const urls: string[] = []
  for (const file of Object.values(recordOf(fields?.file) ?? {})) {
    const url = textOf(recordOf(file)?.url)
    if (url) urls.push(url.startsWith('//') ? `https:${url}` : url)
  }
  return urls
}

export const contentful: AssetProviderModule = { verify, parse }
