// Strapi (Settings > Webhooks): Strapi signs nothing; its documentation secures a webhook with a header
// holding a token (`Authorization: Bearer …`, per webhook or as `webhooks.defaultHeaders`), which is checked
// in constant time. No timestamp, so no replay window. media.update (a replaced file keeps its hash, so its
// URL) and media.delete carry the file: `url` and each of `formats` (thumbnail, small, medium, large), relative
// (`/uploads/…`) with the local provider.
import { recordOf, textOf } from '../../core/json.js'
import { checkAuthorizationSecret, idOf, type AssetProviderModule, type ParsedPayload, type SignedRequest } from '../asset-webhook-provider.js'

const EVENTS = new Set(['media.update', 'media.delete'])

function verify(request: SignedRequest) {
  return checkAuthorizationSecret(request, 'missing Authorization: Bearer <secret>: add the header to the Strapi webhook')
}

function parse(data: unknown): ParsedPayload {
  const body = recordOf(data)
  const event = textOf(body?.event)
  if (!body || !event) return { problem: 'not a Strapi webhook: expected a JSON object with event' }
  if (!EVENTS.has(event)) return { ignore: `event ${event} does not change what a media URL serves` }
  const media = recordOf(body.media)
  if (!media) return { problem: `the ${event} event has no media object` }
  return { assets: [{ event, id: idOf(media.id), urls: mediaUrls(media) }] }
}

/** The file's URL and its formats' (Strapi's responsive sizes), as stored. */
function mediaUrls(media: Record<string, unknown>): string[] {
  const urls = [textOf(media.url)]
  for (const format of Object.values(recordOf(media.formats) ?? {})) urls.push(textOf(recordOf(format)?.url))
  return urls.filter((url): url is string => url !== undefined)
}

export const strapi: AssetProviderModule = { verify, parse }
