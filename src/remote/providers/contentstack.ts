// Contentstack (Settings > Webhooks): the shared-secret method its webhook form offers, Basic Auth (any user
// name, the secret as password; a Bearer token is taken too), checked in constant time. Its certificate
// signature (X-Contentstack-Request-Signature) needs Contentstack's public key fetched per region and a
// re-serialized body, and its HMAC signing is an organization-level option: neither is used here.
// Asset events (module `asset`: create, update, delete, publish, unpublish) carry `data.asset` with its `url`
// (`https://images.contentstack.io/v3/assets/{stack}/{asset}/{file}/{name}`), and `permanent_url` where
// one was generated: the URL that keeps its address when the file is replaced.
import { recordOf, textOf } from '../../core/json.js'
import { checkAuthorizationSecret, type AssetProviderModule, type ParsedPayload, type SignedRequest } from '../asset-webhook-provider.js'

const EVENTS = new Set(['update', 'publish', 'unpublish', 'delete'])

function verify(request: SignedRequest) {
  return checkAuthorizationSecret(request, 'missing Authorization: set Basic Auth on the Contentstack webhook, with the secret as password')
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
