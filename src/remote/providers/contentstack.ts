// Contentstack (Settings > Webhooks). Its HMAC signing (Administration > Security Configuration > HMAC
// Signing, then the webhook's Request Signing Method: HMAC Signing) sends `x-contentstack-hmac-signature:
// t=<Unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, with a second v1 while a key rotates: checked
// here, in constant time, with a replay window on t. Without it, the shared-secret method its webhook form
// offers, Basic Auth (any user name, the secret as password; a Bearer token is taken too). Its default
// certificate signature (X-Contentstack-Request-Signature, RSA-PSS over a re-serialized body, with a public
// key fetched per region) is not used.
// Asset events (module `asset`: create, update, delete, publish, unpublish) carry `data.asset` with its `url`
// (`https://images.contentstack.io/v3/assets/{stack}/{asset}/{file}/{name}`), and `permanent_url` where
// one was generated: the URL that keeps its address when the file is replaced.
import { recordOf, textOf } from '../../core/json.js'
import { createHmac } from 'node:crypto'
import { safeEqual } from '../../shared/webhook-request.js'
import {
  checkAuthorizationSecret,
  isFresh,
  refused,
  verified,
  type AssetProviderModule,
  type ParsedPayload,
  type SignedRequest,
} from '../asset-webhook-provider.js'

const EVENTS = new Set(['update', 'publish', 'unpublish', 'delete'])

const DEFAULT_MAX_AGE_SECONDS = 300

function verify(request: SignedRequest) {
  const hmac = request.headers.get('x-contentstack-hmac-signature')
  if (hmac) return verifyHmac(request, hmac)
  return checkAuthorizationSecret(request, 'missing x-contentstack-hmac-signature (HMAC Signing) or Authorization (Basic Auth) on the Contentstack webhook')
}

function verifyHmac(request: SignedRequest, header: string) {
  const fields = header.split(',').map((part) => part.trim().split('=', 2))
  const timestamp = fields.find(([key]) => key === 't')?.[1]
  const signatures = fields.filter(([key, value]) => key === 'v1' && value).map(([, value]) => value!.toLowerCase())
  if (!timestamp || !/^\d+$/.test(timestamp) || signatures.length === 0) return refused('x-contentstack-hmac-signature is not t=<timestamp>,v1=<signature>')
  const maxAge = request.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS
  if (!isFresh(Number(timestamp) * 1000, request.now, maxAge))
    return refused(`the t of x-contentstack-hmac-signature is more than ${maxAge} s away from now: a stale or replayed request`)
  const expected = createHmac('sha256', request.secret).update(`${timestamp}.`).update(request.body).digest('hex')
  // Every v1 is compared, so that the time taken does not tell which one matched.
  const matches = signatures.map((signature) => safeEqual(signature, expected))
  return matches.includes(true) ? verified : refused('x-contentstack-hmac-signature does not match the body')
}

function parse(data: unknown): ParsedPayload {
  const body = recordOf(data)
  const event = textOf(body?.event)
  const module = textOf(body?.module)
  if (!body || !event || !module) return { problem: 'not a Contentstack webhook: expected a JSON object with module and event' }
  if (module !== 'asset') return { ignore: `module ${module} is not asset` }
  if (!EVENTS.has(event)) return { ignore: `asset ${event} does not change what an asset's URL serves` }
  const asset = recordOf(recordOf(body.data)?.asset)
  if (!asset) return { problem: `the asset ${event} event has no data.asset` }
  const urls = [textOf(asset.permanent_url), textOf(asset.url)].filter((url): url is string => url !== undefined)
  return { assets: [{ event: `asset.${event}`, id: textOf(asset.uid), urls }] }
}

export const contentstack: AssetProviderModule = { verify, parse }
