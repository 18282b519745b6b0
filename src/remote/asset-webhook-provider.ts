// What the asset webhook asks of each provider's module (src/remote/providers/*.ts), and the little they share.
import { createHmac } from 'node:crypto'
import { safeEqual } from '../shared/webhook-request.js'
import type { AssetWebhookProvider } from '../types.js'

/** What a provider's check sees of a request. */
export interface SignedRequest {
  method: string
  /** The path and query the sender called. */
  path: string
  headers: Headers
  body: Uint8Array
  secret: string
  /** Now, in ms. */
  now: number
  /** The replay window the caller set, in seconds; the provider's default when undefined. */
  maxAgeSeconds: number | undefined
}

/** Accepted, or why not: a sentence for the 401 that names headers, never the secret. */
export type Verification = { ok: true } | { ok: false; reason: string }

/** An asset an event is about, as read from the payload. */
export interface ParsedAsset {
  event: string
  id?: string
  spaceId?: string
  /** Absolute URLs, or relative ones (Strapi's local provider) that the handler resolves against `baseUrl`. */
  urls: string[]
}

/**
 * What a payload says: the assets it is about, a known event that changes no asset's bytes (ignored with a
 * 200), or why it is not this provider's payload (a 422).
 */
export type ParsedPayload = { assets: ParsedAsset[] } | { ignore: string } | { problem: string }

export interface AssetProviderModule {
  verify(request: SignedRequest): Verification | Promise<Verification>
  parse(data: unknown, headers: Headers): ParsedPayload
}

/**
 * The header that marks each provider's requests, so that a request sent to another provider's route is
 * named for what it is rather than called unsigned. Read without loading the other providers' modules.
 */
export const PROVIDER_MARKS: Readonly<Record<AssetWebhookProvider, readonly string[]>> = {
  contentful: ['x-contentful-signature'],
  strapi: ['x-strapi-event'],
  contentstack: ['x-contentstack-hmac-signature', 'x-contentstack-request-signature'],
  storyblok: ['webhook-signature'],
  cloudinary: ['x-cld-signature'],
  generic: ['x-signature-256'],
}

export const verified: Verification = { ok: true }
export const refused = (reason: string): Verification => ({ ok: false, reason })

/** Whether `signature` (hex, any case) is the HMAC of `body` under `secret`, compared in constant time. */
export function isHmacHex(algorithm: 'sha1' | 'sha256', secret: string, body: Uint8Array, signature: string): boolean {
  const expected = createHmac(algorithm, secret).update(body).digest('hex')
  return safeEqual(signature.toLowerCase(), expected)
}

/**
 * Whether a timestamp is within the window, either way: a signature from the future is as suspect as an old
 * one. Both in ms.
 */
export function isFresh(signedAt: number, now: number, maxAgeSeconds: number): boolean {
  return Number.isFinite(signedAt) && Math.abs(now - signedAt) <= maxAgeSeconds * 1000
}

/**
 * A shared secret sent as `Authorization: Bearer <secret>` or as a Basic Auth password, compared in constant
 * time: what providers that sign nothing offer (Strapi, Contentstack). `missing` says how to set it up.
 */
export function checkAuthorizationSecret(request: SignedRequest, missing: string): Verification {
  const given = authorizationSecret(request.headers)
  if (given === undefined) return refused(missing)
  return safeEqual(given, request.secret) ? verified : refused('the Authorization header does not hold the secret')
}

/** The value of a `Bearer` or `Basic` (its password) `Authorization` header, or undefined. */
function authorizationSecret(headers: Headers): string | undefined {
  const value = headers.get('authorization')?.trim()
  if (!value) return undefined
  const [scheme, credentials = ''] = value.split(/\s+/, 2)
  if (scheme?.toLowerCase() === 'bearer') return credentials
  if (scheme?.toLowerCase() !== 'basic') return undefined
  const decoded = Buffer.from(credentials, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? undefined : decoded.slice(colon + 1)
}

/** A string field of a record, a number turned to text, or undefined. */
export function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return typeof value === 'string' && value ? value : undefined
}
