// Cloudinary notifications (Settings > Webhook Notifications, or `notification_url` on an upload).
// X-Cld-Signature is the hex SHA-1 (or SHA-256, when the account signs with it) of the raw body, then
// X-Cld-Timestamp (Unix seconds), then the API secret; X-Cld-Timestamp bounds replays. Cloudinary's SDK has
// verifyNotificationSignature, but it compares with `===` (not in constant time), reads the secret from the
// SDK's global config, and loads the whole SDK: the documented scheme is checked here instead.
// An upload (overwrite or not) gives `secure_url` with its `/v<version>/` segment; pages that write the URL
// without it are the ones that go stale, so both are sent. Deletions name resources, with no URL.
import { createHash } from 'node:crypto'
import { isRecord, recordOf, textOf } from '../../core/json.js'
import { safeEqual } from '../../shared/webhook-request.js'
import {
  idOf,
  isFresh,
  refused,
  verified,
  type AssetProviderModule,
  type ParsedAsset,
  type ParsedPayload,
  type SignedRequest,
} from '../asset-webhook-provider.js'

/** The window of Cloudinary's own `verifyNotificationSignature`, long enough for its retries (3, 6, 9 minutes). */
const DEFAULT_MAX_AGE_SECONDS = 7200

function verify(request: SignedRequest) {
  const signature = request.headers.get('x-cld-signature')?.trim().toLowerCase()
  const timestamp = request.headers.get('x-cld-timestamp')?.trim()
  if (!signature || !timestamp) return refused('missing X-Cld-Signature or X-Cld-Timestamp')
  const maxAge = request.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS
  if (!/^\d+$/.test(timestamp) || !isFresh(Number(timestamp) * 1000, request.now, maxAge))
    return refused(`X-Cld-Timestamp is more than ${maxAge} s away from now: a stale or replayed request`)
  const algorithm = signature.length === 64 ? 'sha256' : 'sha1'
  const expected = createHash(algorithm).update(request.body).update(timestamp).update(request.secret).digest('hex')
  return safeEqual(signature, expected) ? verified : refused('X-Cld-Signature does not match the body, timestamp and API secret')
}

function parse(data: unknown): ParsedPayload {
  const body = recordOf(data)
  const type = textOf(body?.notification_type)
  if (!body || !type) return { problem: 'not a Cloudinary notification: expected a JSON object with notification_type' }
  if (type === 'upload') {
    if (body.resource_type !== undefined && body.resource_type !== 'image') return { ignore: `an upload of a ${String(body.resource_type)}, not an image` }
    return { assets: [{ event: type, id: textOf(body.public_id), urls: deliveryUrls(body) }] }
  }
  if (type === 'delete') {
    const resources = Array.isArray(body.resources) ? body.resources.filter(isRecord) : []
    const images = resources.filter((resource) => resource.resource_type === undefined || resource.resource_type === 'image')
    if (images.length === 0) return { ignore: 'the deletion names no image' }
    return { assets: images.map((resource): ParsedAsset => ({ event: type, id: textOf(resource.public_id), urls: deliveryUrls(resource) })) }
  }
  return { ignore: `notification_type ${type} does not change an image's bytes` }
}

/** The asset's delivery URL as given, and the same without its version segment. */
function deliveryUrls(resource: Record<string, unknown>): string[] {
  const url = textOf(resource.secure_url) ?? textOf(resource.url)
  if (!url) return []
  const version = idOf(resource.version)
  const unversioned = version ? url.replace(`/v${version}/`, '/') : url.replace(/\/v\d+\//, '/')
  return unversioned === url ? [url] : [unversioned, url]
}

export const cloudinary: AssetProviderModule = { verify, parse }
