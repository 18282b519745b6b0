// Asset events as each provider's documentation shows them, signed as each provider signs them: what the
// asset webhook's tests post, to the handler in process and to a `next start` of a fixture.
import { createHash, createHmac } from 'node:crypto'
import { signRequest } from '@contentful/node-apps-toolkit/requests'
import type { AssetWebhookProvider } from '../../src/types.js'

/** A Contentful signing secret has exactly 64 characters; the others take any. One secret serves every provider here. */
export const ASSET_SECRET = 'qlfkupAwYA4ZkNnmBzmNypFqSRWOwhpGRFwQFn5iPNAGHSYdvwed1C77n0Eiaz19'

export interface ProviderEvent {
  /** The body, byte for byte as sent. */
  body: string
  /** Headers the provider sends whether or not it signs. */
  headers: Record<string, string>
  /** The source URLs the event should invalidate. */
  urls: string[]
}

/**
 * Contentful's Asset publish (the webhook body is the asset: `fields.file` per locale, protocol-relative
 * URLs on images.ctfassets.net; content type and topic headers as Contentful sends them).
 */
export function contentfulPublish(): ProviderEvent {
  const file = (name: string) => ({
    url: `//images.ctfassets.net/yadj1kx9rmg0/4BqrajvA8E6qwgkieoqmqO/9c2f0b0c1a9e8c4d7b6a5f4e3d2c1b0a/${name}`,
    details: { size: 194394, image: { width: 1200, height: 800 } },
    fileName: name,
    contentType: 'image/jpeg',
  })
  const asset = {
    metadata: { tags: [] },
    sys: {
      type: 'Asset',
      id: '4BqrajvA8E6qwgkieoqmqO',
      space: { sys: { type: 'Link', linkType: 'Space', id: 'yadj1kx9rmg0' } },
      environment: { sys: { id: 'master', type: 'Link', linkType: 'Environment' } },
      createdAt: '2026-11-02T10:11:12.000Z',
      updatedAt: '2026-12-03T09:00:00.000Z',
      publishedVersion: 7,
      revision: 3,
      version: 8,
    },
    fields: { title: { 'en-US': 'Hero', 'de-DE': 'Held' }, file: { 'en-US': file('hero.jpg'), 'de-DE': file('held.jpg') } },
  }
  return {
    body: JSON.stringify(asset),
    headers: {
      'content-type': 'application/vnd.contentful.management.v1+json',
      'x-contentful-topic': 'ContentManagement.Asset.publish',
      'x-contentful-webhook-name': 'Invalidate images',
    },
    urls: [
      'https://images.ctfassets.net/yadj1kx9rmg0/4BqrajvA8E6qwgkieoqmqO/9c2f0b0c1a9e8c4d7b6a5f4e3d2c1b0a/hero.jpg',
      'https://images.ctfassets.net/yadj1kx9rmg0/4BqrajvA8E6qwgkieoqmqO/9c2f0b0c1a9e8c4d7b6a5f4e3d2c1b0a/held.jpg',
    ],
  }
}

/** Strapi's media.update, as its webhooks documentation shows it (the local upload provider: a relative URL). */
export function strapiMediaUpdate(withFormats = false): ProviderEvent {
  const media = {
    id: 1,
    name: 'image.png',
    hash: '353fc98a19e44da9acf61d71b11895f9',
    sha256: 'huGUaFJhmcZRHLcxeQNKblh53vtSUXYaB16WSOe0Bdc',
    ext: '.png',
    mime: 'image/png',
    size: 228.19,
    url: '/uploads/353fc98a19e44da9acf61d71b11895f9.png',
    ...(withFormats ? { formats: { thumbnail: { url: '/uploads/thumbnail_353fc98a19e44da9acf61d71b11895f9.png', width: 245, height: 156 } } } : {}),
    provider: 'local',
    provider_metadata: null,
    createdAt: '2020-01-10T10:58:41.095Z',
    updatedAt: '2020-01-10T10:58:41.095Z',
    related: [],
  }
  const urls = ['https://cms.example.com/uploads/353fc98a19e44da9acf61d71b11895f9.png']
  if (withFormats) urls.push('https://cms.example.com/uploads/thumbnail_353fc98a19e44da9acf61d71b11895f9.png')
  return {
    body: JSON.stringify({ event: 'media.update', createdAt: '2020-01-10T10:58:41.115Z', media }),
    headers: { 'content-type': 'application/json', 'x-strapi-event': 'media.update' },
    urls,
  }
}

/** Contentstack's asset update (module asset, `data.asset` with its `url`, and a permanent URL). */
export function contentstackAssetUpdate(): ProviderEvent {
  const asset = {
    uid: 'blt293c6dd97376af9f',
    created_at: '2026-10-01T08:00:00.000Z',
    updated_at: '2026-12-03T09:00:00.000Z',
    content_type: 'image/png',
    file_size: '48213',
    filename: 'sample_logo.png',
    title: 'sample_logo.png',
    url: 'https://images.contentstack.io/v3/assets/blt95131ce7919c7429/blt293c6dd97376af9f/60b258bg299917402992601b/sample_logo.png',
    permanent_url: 'https://images.contentstack.io/v3/assets/blt95131ce7919c7429/blt293c6dd97376af9f/sample-logo',
    _version: 2,
  }
  const body = { module: 'asset', api_key: 'blt95131ce7919c7429', event: 'update', triggered_at: '2026-12-03T09:00:01.000Z', data: { asset } }
  return {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'user-agent': 'Contentstack' },
    urls: [asset.permanent_url, asset.url],
  }
}

/** Storyblok's asset.replaced: an id only. The URL is what the route's `srcImages` maps asset 678 to. */
export function storyblokAssetReplaced(): ProviderEvent {
  const body = { text: 'The user ada@example.com replaced the asset hero.png (678).', action: 'replaced', space_id: 12345, asset_id: 678 }
  return {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    urls: ['https://a.storyblok.com/f/12345/1200x800/3f2a1b4c5d/hero.png'],
  }
}

/** Cloudinary's upload notification for an overwrite: both the unversioned URL and the versioned one. */
export function cloudinaryOverwrite(): ProviderEvent {
  const body = {
    notification_type: 'upload',
    timestamp: '2026-12-03T09:00:00+00:00',
    request_id: '799b5ad0f2c5b3c3d9b7f0b8e1a1c2d3',
    asset_id: '3515c6000a548515f1134043f9785c2f',
    public_id: 'sample',
    version: 1733216400,
    version_id: '7d2cc533bee9ff39f7da7414b61fce7e',
    width: 864,
    height: 576,
    format: 'jpg',
    resource_type: 'image',
    created_at: '2026-12-03T09:00:00Z',
    tags: [],
    bytes: 120253,
    type: 'upload',
    etag: '5a1d8b2a0b7c0e6e1a2b3c4d5e6f7a8b',
    placeholder: false,
    url: 'http://res.cloudinary.com/demo/image/upload/v1733216400/sample.jpg',
    secure_url: 'https://res.cloudinary.com/demo/image/upload/v1733216400/sample.jpg',
    overwritten: true,
    original_filename: 'sample',
    api_key: '614335564976464',
  }
  return {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    urls: ['https://res.cloudinary.com/demo/image/upload/sample.jpg', 'https://res.cloudinary.com/demo/image/upload/v1733216400/sample.jpg'],
  }
}

/** The generic form: `{ "urls": [...] }`, as a forwarder of S3 events would post it. */
export function genericUrls(urls = ['https://bucket.example.com/public/team/ada.png']): ProviderEvent {
  return { body: JSON.stringify({ urls }), headers: { 'content-type': 'application/json' }, urls }
}

export const EVENTS: Record<AssetWebhookProvider, () => ProviderEvent> = {
  contentful: contentfulPublish,
  strapi: () => strapiMediaUpdate(),
  contentstack: contentstackAssetUpdate,
  storyblok: storyblokAssetReplaced,
  cloudinary: cloudinaryOverwrite,
  generic: () => genericUrls(),
}

export interface SignOptions {
  secret?: string
  /** When the provider signed, in ms (Contentful, Contentstack, Cloudinary). Default: now. */
  signedAt?: number
  /** The path the provider calls, which Contentful signs. */
  path?: string
}

/** The headers `provider` adds to sign `event`, computed as the provider computes them. */
export function signatureHeaders(provider: AssetWebhookProvider, event: ProviderEvent, options: SignOptions = {}): Record<string, string> {
  const secret = options.secret ?? ASSET_SECRET
  const signedAt = options.signedAt ?? Date.now()
  switch (provider) {
    case 'contentful':
      // Contentful's own signing code (node-apps-toolkit's signRequest), which its verifyRequest undoes.
      return { ...signRequest(secret, { method: 'POST', path: options.path ?? '/', headers: event.headers, body: event.body }, signedAt) }
    case 'cloudinary': {
      const timestamp = String(Math.floor(signedAt / 1000))
      return {
        'x-cld-timestamp': timestamp,
        'x-cld-signature': createHash('sha1')
          .update(event.body + timestamp + secret)
          .digest('hex'),
      }
    }
    case 'storyblok':
      return { 'webhook-signature': createHmac('sha1', secret).update(event.body).digest('hex') }
    case 'strapi':
      return { authorization: `Bearer ${secret}` }
    case 'contentstack': {
      // HMAC Signing, as Contentstack's "Secure Your Webhooks" page describes it.
      const t = String(Math.floor(signedAt / 1000))
      return { 'x-contentstack-hmac-signature': `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${event.body}`).digest('hex')}` }
    }
    case 'generic':
      return { 'x-signature-256': `sha256=${createHmac('sha256', secret).update(event.body).digest('hex')}` }
  }
}

/** Contentstack's other method, Basic Auth with the secret as password. */
export const contentstackBasicAuth = (secret = ASSET_SECRET) => ({ authorization: `Basic ${Buffer.from(`image-invalidate:${secret}`).toString('base64')}` })

/** The same headers with the signature made wrong (signed with another secret). */
export function misSignedHeaders(provider: AssetWebhookProvider, event: ProviderEvent, options: SignOptions = {}): Record<string, string> {
  const other = ASSET_SECRET.split('').reverse().join('')
  return signatureHeaders(provider, event, { ...options, secret: other })
}

/** A request init for `fetch` or `new Request`: the event's own headers, plus `extra`. */
export function post(event: ProviderEvent, extra: Record<string, string> = {}): RequestInit {
  return { method: 'POST', body: event.body, headers: { ...event.headers, ...extra } }
}

/** Providers that sign a timestamp, and the replay window the handler keeps by default, in seconds. */
export const REPLAY_WINDOWS: Partial<Record<AssetWebhookProvider, number>> = { contentful: 300, contentstack: 300, cloudinary: 7200 }
