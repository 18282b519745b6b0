// The generic form, for glue of one's own (an S3, GCS or Supabase Storage event through a small forwarder):
// a JSON body `{ "urls": [...] }` signed as GitHub signs its webhooks, `x-signature-256: sha256=<hex
// HMAC-SHA256 of the raw body>`. No timestamp: a replay only invalidates the same URLs again.
import { recordOf } from '../../core/json.js'
import { isHmacHex, refused, verified, type AssetProviderModule, type ParsedPayload, type SignedRequest } from '../asset-webhook-provider.js'

function verify(request: SignedRequest) {
  const header = request.headers.get('x-signature-256')?.trim()
  const signature = header?.startsWith('sha256=') ? header.slice('sha256='.length) : undefined
  if (!signature) return refused('missing x-signature-256: sha256=<hex HMAC-SHA256 of the body>')
  return isHmacHex('sha256', request.secret, request.body, signature) ? verified : refused('x-signature-256 does not match the body')
}

function parse(data: unknown): ParsedPayload {
  const urls = recordOf(data)?.urls
  if (!Array.isArray(urls) || !urls.every((url) => typeof url === 'string'))
    return { problem: 'expected a JSON object { "urls": [ "https://…", … ] } with strings only' }
  return { assets: [{ event: 'urls', urls }] }
}

export const generic: AssetProviderModule = { verify, parse }
