// @module-tag floor
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createManifest, serializeManifest } from '../src/core/manifest.js'
import { loadManifest } from '../src/shared/load-manifest.js'
import { createHttpClient } from '../src/shared/http.js'
import { startSite, type SiteStandIn } from './stand-ins/site.mjs'
import { tempDir } from './helpers/tmp.js'

const manifest = createManifest({
  buildId: 'dpl_live',
  basePath: '',
  images: { '/a.png': { hash: 'a'.repeat(64), size: 1 } },
  plan: { baseline: null, srcImages: [] },
})

let site: SiteStandIn | undefined
afterEach(async () => {
  await site?.close()
  site = undefined
})

// Short backoff so retried requests do not slow the suite; the retry logic is the same.
const fast = () => createHttpClient({ retries: 2, minDelayMs: 5, timeoutMs: 2_000 })

describe('loadManifest', () => {
  it('reads a manifest file, and says a missing file is missing', async () => {
    const dir = await tempDir({ 'm.json': serializeManifest(manifest) })
    expect(await loadManifest(path.join(dir, 'm.json'))).toMatchObject({ kind: 'found', manifest: { buildId: 'dpl_live' } })
    expect(await loadManifest(path.join(dir, 'none.json'))).toMatchObject({ kind: 'missing', reason: 'no such file' })
    expect(await loadManifest(dir)).toMatchObject({ kind: 'invalid', reason: 'is a directory' })
  })

  it('refuses a file over the size bound without reading it', async () => {
    const dir = await tempDir({ 'big.json': 'x'.repeat(2048) })
    expect(await loadManifest(path.join(dir, 'big.json'), { maxBytes: 1024 })).toMatchObject({
      kind: 'invalid',
      reason: 'is 2.0 KiB, larger than the limit of 1.0 KiB',
    })
  })

  it('fetches from the live site with the protection bypass header, fresh, and takes 404 as a first deploy', async () => {
    const dir = await tempDir({ '_image-invalidate.json': serializeManifest(manifest) })
    site = await startSite({ dir, bypassSecret: 's3cret' })
    const url = `${site.origin}/_image-invalidate.json`
    const found = await loadManifest(url, { headers: { 'x-vercel-protection-bypass': 's3cret' }, fresh: true })
    expect(found).toMatchObject({ kind: 'found', source: url, manifest: { buildId: 'dpl_live' } })
    expect(site.requests[0]!.headers['cache-control']).toBe('no-cache')
    expect(site.requests[0]!.url).toMatch(/^\/_image-invalidate\.json\?_=/)

    const refused = await loadManifest(url)
    expect(refused).toMatchObject({ kind: 'unreachable', reason: expect.stringContaining('HTTP 401') })
    expect(JSON.stringify(refused)).not.toContain('s3cret')

    site.serve(null)
    expect(await loadManifest(url, { headers: { 'x-vercel-protection-bypass': 's3cret' } })).toMatchObject({ kind: 'missing', reason: 'HTTP 404' })
  })

  it('retries 5xx and gives up after the bound', async () => {
    const dir = await tempDir({ '_image-invalidate.json': serializeManifest(manifest) })
    site = await startSite({ dir })
    const url = `${site.origin}/_image-invalidate.json`
    site.failNext([503, 500])
    expect(await loadManifest(url, { dispatcher: fast() })).toMatchObject({ kind: 'found' })
    expect(site.requests).toHaveLength(3)

    site.failNext([502, 502, 502, 502])
    expect(await loadManifest(url, { dispatcher: fast() })).toMatchObject({ kind: 'unreachable', reason: 'HTTP 502' })
    expect(site.requests).toHaveLength(6)
  })

  it('says what is wrong with a document that is not a manifest, or is too large', async () => {
    const dir = await tempDir({ 'html.json': '<!doctype html><p>Not found</p>', 'big.json': `{"pad":"${'x'.repeat(5000)}"}` })
    site = await startSite({ dir })
    expect(await loadManifest(`${site.origin}/html.json`)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/^is not JSON/) })
    expect(await loadManifest(`${site.origin}/big.json`, { maxBytes: 1000 })).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('larger than the limit'),
    })
  })

  it('reports a server that is not there as unreachable', async () => {
    site = await startSite()
    const origin = site.origin
    await site.close()
    site = undefined
    const result = await loadManifest(`${origin}/_image-invalidate.json`, { dispatcher: fast() })
    expect(result).toMatchObject({ kind: 'unreachable', reason: expect.stringContaining('ECONNREFUSED') })
  })
})
