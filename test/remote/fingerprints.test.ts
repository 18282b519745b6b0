// @module-tag floor
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { tmpdir } from 'node:os'
import { createManifest, type Manifest } from '../../src/core/manifest.js'
import { remoteSrcImagesOf } from '../../src/core/remote-diff.js'
import type { RemoteImages } from '../../src/core/remote-images.js'
import type { ResolvedRemoteOptions } from '../../src/plugin/options.js'
import { findRemoteImages } from '../../src/plugin/remote-step.js'
import { fingerprintRemoteImages, type FingerprintOptions } from '../../src/shared/remote-fingerprints.js'
import { startImageOrigin, type ImageOrigin } from '../stand-ins/image-origin.mjs'

let origin: ImageOrigin | undefined
afterEach(async () => {
  await origin?.close()
  origin = undefined
})

const options: FingerprintOptions = { budgetMs: 5_000, requestTimeoutMs: 2_000, concurrency: 8, allowLocalIP: true }

describe('fingerprintRemoteImages', () => {
  it('takes the ETag, else Last-Modified with the length, else a SHA-256 of the bytes; asks again conditionally', async () => {
    origin = await startImageOrigin()
    origin.set('/etag.png', 'etag bytes', 'etag')
    origin.set('/modified.png', 'modified bytes', 'last-modified')
    origin.set('/plain.png', 'plain bytes', 'none')
    const urls = ['/etag.png', '/modified.png', '/plain.png'].map(origin.url)
    const first = await fingerprintRemoteImages(urls, options)
    expect(first.failures).toEqual([])
    expect(first.fingerprints[urls[0]!]).toEqual({ etag: expect.stringMatching(/^"[0-9a-f]{16}"$/) })
    expect(first.fingerprints[urls[1]!]).toEqual({ lastModified: expect.stringMatching(/GMT$/), size: 14 })
    expect(first.fingerprints[urls[2]!]).toEqual({ sha256: createHash('sha256').update('plain bytes').digest('hex'), size: 11 })

    // An unchanged rebuild: 304 for the two with validators, their fingerprints kept, no body sent again.
    const bodyBefore = origin.stats.bodyBytes
    const again = await fingerprintRemoteImages(urls, { ...options, previous: first.fingerprints })
    expect(again.notModified).toBe(2)
    expect(again.changed).toEqual([])
    expect(again.fingerprints).toEqual(first.fingerprints)
    expect(origin.stats.bodyBytes - bodyBefore).toBe('plain bytes'.length)

    // The bytes change under the same URLs: each fingerprint changes.
    origin.set('/etag.png', 'other etag bytes', 'etag')
    origin.set('/modified.png', 'other modified bytes', 'last-modified')
    origin.set('/plain.png', 'other plain bytes', 'none')
    const changed = await fingerprintRemoteImages(urls, { ...options, previous: first.fingerprints })
    expect(changed.changed.sort()).toEqual([...urls].sort())
    expect(changed.notModified).toBe(0)
  })

  it('an origin that hangs, answers 5xx, redirects in a loop or sends 2 GiB: each named, left out, the run within its budget', async () => {
    origin = await startImageOrigin()
    origin.set('/ok.png', 'ok', 'etag')
    origin.set('/hang.png', '', 'hang')
    origin.set('/error.png', '', 'error')
    origin.set('/loop.png', '', 'redirect-loop')
    origin.set('/huge.png', '', 'huge')
    const urls = ['/ok.png', '/hang.png', '/error.png', '/loop.png', '/huge.png', '/missing.png'].map(origin.url)
    const started = Date.now()
    const run = await fingerprintRemoteImages(urls, { ...options, budgetMs: 1_500, requestTimeoutMs: 60_000, maxBytes: 1024 * 1024 })
    const elapsed = Date.now() - started
    expect(Object.keys(run.fingerprints)).toEqual([origin.url('/ok.png')])
    expect(run.failures).toHaveLength(5)
    const reasons = Object.fromEntries(run.failures.map((failure) => [new URL(failure.url).pathname, failure.reason]))
    expect(reasons).toEqual({
      '/hang.png': 'not fingerprinted within the budget of 1.5 s',
      '/error.png': 'HTTP 503',
      '/loop.png': 'redirects in a loop',
      '/huge.png': 'is 2.0 GiB, larger than the 1.0 MiB an image may be',
      '/missing.png': 'HTTP 404',
    })
    expect(run.budgetExceeded).toBe(true)
    // Ended by the budget: the hanging request's own timeout (60 s) was not waited for.
    expect(elapsed).toBeLessThan(30_000)
  })

  it('a request timeout shorter than the budget ends one request, not the run', async () => {
    origin = await startImageOrigin()
    origin.set('/hang.png', '', 'hang')
    origin.set('/ok.png', 'ok', 'etag')
    const run = await fingerprintRemoteImages([origin.url('/hang.png'), origin.url('/ok.png')], { ...options, requestTimeoutMs: 300, concurrency: 1 })
    expect(run.failures).toEqual([{ url: origin.url('/hang.png'), reason: 'no complete answer within 300 ms' }])
    expect(Object.keys(run.fingerprints)).toEqual([origin.url('/ok.png')])
    expect(run.budgetExceeded).toBe(false)
  })

  it('leaves out a private address unless allowed, as Next.js does without images.dangerouslyAllowLocalIP', async () => {
    origin = await startImageOrigin()
    origin.set('/a.png', 'a', 'etag')
    const resolve = async (host: string) => (host === 'cdn.example.test' ? ['10.0.0.7'] : ['93.184.216.34'])
    const run = await fingerprintRemoteImages([origin.url('/a.png'), 'https://cdn.example.test/b.png'], { ...options, allowLocalIP: false, resolve })
    expect(run.excluded).toEqual([
      { url: origin.url('/a.png'), reason: 'resolves to the private address 127.0.0.1 (allowed by images.dangerouslyAllowLocalIP)' },
      { url: 'https://cdn.example.test/b.png', reason: 'resolves to the private address 10.0.0.7 (allowed by images.dangerouslyAllowLocalIP)' },
    ])
    expect(origin.stats.requests).toBe(0)
  })
})

describe('the remote images step of a build', () => {
  it("an image its build cannot reach keeps the baseline's fingerprint: not changed at this flip, and its change is seen by the next build", async () => {
    origin = await startImageOrigin()
    origin.set('/a.png', 'v3', 'etag')
    const url = origin.url('/a.png')
    const remote: ResolvedRemoteOptions = {
      source: { dirs: [], imageConfig: { images: { remotePatterns: [{ hostname: '127.0.0.1' }], dangerouslyAllowLocalIP: true }, source: 'test' } },
      watch: [url],
      budgetMs: 1_500,
      requestTimeoutMs: 500,
      concurrency: 2,
      allowLocalIP: true,
    }
    const warnings: string[] = []
    const step = (baseline: RemoteImages) =>
      findRemoteImages({ root: tmpdir() }, remote, { kind: 'found', source: 'live.json', manifest: manifestWith(baseline) }, (w) => warnings.push(w))
    const p = (await step({ version: 1, images: {} })).remote
    expect(p.images[url]).toEqual({ etag: expect.any(String) })

    // The bytes change while the origin does not answer: the build records what was last known.
    origin.set('/a.png', 'v4', 'hang')
    const x = await step(p)
    expect(x.remote).toEqual({ version: 1, images: { [url]: p.images[url] }, unfingerprinted: [url] })
    expect(remoteSrcImagesOf(x.diff, { flip: true })).toEqual([])
    expect(warnings.join('\n')).toContain(`recorded with the baseline's fingerprint where it had one`)

    // It answers again: the next build sees the change against that fingerprint, and its flip sends it.
    origin.set('/a.png', 'v4', 'etag')
    const y = await step(x.remote)
    expect(remoteSrcImagesOf(y.diff, { flip: true })).toEqual([url])
  })
})

function manifestWith(remote: RemoteImages): Manifest {
  return createManifest({ buildId: 'dpl_live', basePath: '', images: {}, plan: { baseline: null, srcImages: [] }, remote })
}
