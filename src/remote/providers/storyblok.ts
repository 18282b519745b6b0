// Storyblok (Settings > Webhooks): `webhook-signature` is the hex HMAC-SHA1 of the raw body with the
// webhook's secret; Storyblok sends no timestamp, so there is no replay window (a replayed event only
// invalidates the same URLs again, which is harmless). Asset events (asset.created, asset.replaced,
// asset.deleted, asset.restored) carry `action`, `asset_id` and `space_id` only: the URL must come from
// `srcImages`, which can look the asset up in Storyblok's Management API
// (GET /v1/spaces/{space_id}/assets/{asset_id}, with a personal access token).
import { recordOf, textOf } from '../../core/json.js'
import { idOf, isHmacHex, refused, verified, type AssetProviderModule, type ParsedPayload, type SignedRequest } from '../asset-webhook-provider.js'

/** Replacing or deleting changes what the asset's URL serves; creating or restoring does not replace cached bytes. */
const ACTIONS = new Set(['replaced', 'deleted'])

function verify(request: SignedRequest) {
  const signature = request.headers.get('webhook-signature')?.trim()
  if (!signature) return refused('missing webhook-signature: set a webhook secret on the Storyblok webhook')
  return isHmacHex('sha1', request.secret, request.body, signature) ? verified : refused('webhook-signature does not match the body')
}

function parse(data: unknown): ParsedPayload {
  const body = recordOf(data)
  const action = textOf(body?.action)
  if (!body || !action) return { problem: 'not a Storyblok webhook: expected a JSON object with action' }
  const id = idOf(body.asset_id)
  if (!id) return { ignore: `${action} is not an asset event` }
  if (!ACTIONS.has(action)) return { ignore: `asset.${action} does not change what an asset's URL serves` }
  return { assets: [{ event: `asset.${action}`, id, spaceId: idOf(body.space_id), urls: [] }] }
}

export const storyblok: AssetProviderModule = { verify, parse }
