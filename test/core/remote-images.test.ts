// @module-tag floor
import { describe, expect, it } from 'vitest'
import { planFlip } from '../../src/core/flip.js'
import { createManifest, parseManifest, serializeManifest, ManifestError, type Manifest } from '../../src/core/manifest.js'
import { diffRemoteImages, remoteSrcImagesOf } from '../../src/core/remote-diff.js'
import { findOptimizedSources, findWatchedUrls, readWatchList } from '../../src/core/remote-discovery.js'
import { sameFingerprint, type RemoteImages } from '../../src/core/remote-images.js'

const A = 'https://cdn.example.com/a.png'
const B = 'https://cdn.example.com/b b.png'
const C = 'https://cdn.example.com/c.png'

function manifestWith(remote?: RemoteImages, buildId = 'dpl_1'): Manifest {
  return createManifest({
    buildId,
    basePath: '',
    images: { '/hero.png': { hash: 'a'.repeat(64), size: 1 } },
    plan: { baseline: null, srcImages: [] },
    ...(remote ? { remote } : {}),
    createdAt: new Date('2026-01-02T03:04:05.000Z'),
  })
}

describe('the remote section of the manifest', () => {
  it('round-trips, keys sorted, and keeps version 1 for the manifest', () => {
    const manifest = manifestWith({ version: 1, images: { [C]: { sha256: 'c'.repeat(64), size: 3 }, [A]: { etag: '"a"' } }, unfingerprinted: [B] })
    manifest.plan.remoteSrcImages = [A]
    const text = serializeManifest(manifest)
    const parsed = parseManifest(text)
    expect(parsed).toEqual(manifest)
    expect(Object.keys(parsed.remote!.images)).toEqual([A, C])
    expect(JSON.parse(text).version).toBe(1)
    expect(serializeManifest(parsed)).toBe(text)
  })

  it('a manifest without one reads as before, and writes nothing for it', () => {
    const manifest = manifestWith()
    const text = serializeManifest(manifest)
    expect(text).not.toContain('remote')
    expect(parseManifest(text)).toEqual(manifest)
  })

  it('a section of a later format is ignored, as a reader before remote images ignores the whole section', () => {
    const data = JSON.parse(serializeManifest(manifestWith({ version: 1, images: { [A]: { etag: '"a"' } } })))
    data.remote = { version: 2, fingerprints: { [A]: 'whatever comes next' } }
    expect(parseManifest(JSON.stringify(data)).remote).toBeUndefined()
  })

  it.each([
    [{ version: 1, images: { 'ftp://x/a.png': { etag: '"a"' } } }, /is not an absolute http\(s\) URL/],
    [{ version: 1, images: { [A]: { size: 3 } } }, /without an "etag"/],
    [{ version: 1, images: { [A]: { sha256: 'xyz', size: 3 } } }, /without an "etag"/],
    [{ version: 1, images: { [A]: { etag: '"a"' } }, unfingerprinted: ['/local.png'] }, /remote.unfingerprinted/],
    ['yes', /"remote" that is not an object/],
  ])('refuses a malformed section of this format: %j', (remote, message) => {
    const data = JSON.parse(serializeManifest(manifestWith()))
    data.remote = remote
    expect(() => parseManifest(JSON.stringify(data))).toThrow(ManifestError)
    expect(() => parseManifest(JSON.stringify(data))).toThrow(message)
  })
})

describe('diffRemoteImages', () => {
  const previous: RemoteImages = { version: 1, images: { [A]: { etag: '"1"' }, [B]: { lastModified: 'Mon', size: 2 }, [C]: { etag: '"c"' } } }

  it('changed, no longer shown, added, and those one side could not fingerprint (compared with nothing)', () => {
    const next: RemoteImages = {
      version: 1,
      images: { [A]: { etag: '"2"' }, 'https://cdn.example.com/new.png': { etag: '"n"' } },
      unfingerprinted: [C],
    }
    expect(diffRemoteImages(previous, next)).toEqual({
      changed: [A],
      removed: [B],
      added: ['https://cdn.example.com/new.png'],
      unchanged: 0,
      unknown: [C],
    })
    // The build-time plan: the changed and the removed ones. At a flip, the one that appears too, as for public
    // images: a URL can come back over variants cached of other bytes.
    expect(remoteSrcImagesOf(diffRemoteImages(previous, next))).toEqual([A, B])
    expect(remoteSrcImagesOf(diffRemoteImages(previous, next), { flip: true })).toEqual([A, B, 'https://cdn.example.com/new.png'])
  })

  it('a fingerprint carried for an image its build could not reach is compared as any other: the change is not lost', () => {
    // P fingerprinted C; X's build could not reach it and carried P's fingerprint; Y's build saw new bytes.
    const x: RemoteImages = { version: 1, images: { ...previous.images }, unfingerprinted: [C] }
    expect(diffRemoteImages(previous, x)).toMatchObject({ changed: [], unknown: [], unchanged: 3 })
    const y: RemoteImages = { version: 1, images: { ...previous.images, [C]: { etag: '"c2"' } } }
    expect(diffRemoteImages(x, y)).toMatchObject({ changed: [C], unknown: [] })
    expect(remoteSrcImagesOf(diffRemoteImages(x, y), { flip: true })).toEqual([C])
  })

  it('the same fingerprints: nothing; an origin that starts sending an ETag: changed', () => {
    expect(remoteSrcImagesOf(diffRemoteImages(previous, previous))).toEqual([])
    expect(sameFingerprint({ lastModified: 'Mon', size: 2 }, { lastModified: 'Mon', size: 3 })).toBe(false)
    expect(sameFingerprint({ sha256: 'a'.repeat(64), size: 2 }, { etag: '"x"' })).toBe(false)
  })

  it('nothing is known when either manifest has no remote section: nothing is sent', () => {
    expect(diffRemoteImages(undefined, previous)).toBeNull()
    expect(diffRemoteImages(previous, undefined)).toBeNull()
    expect(remoteSrcImagesOf(null)).toEqual([])
  })

  it('planFlip lists the remote images apart from the public ones', () => {
    const p = manifestWith(previous, 'dpl_p')
    const d = manifestWith({ version: 1, images: { [A]: { etag: '"2"' }, [C]: { etag: '"c"' } } }, 'dpl_d')
    d.images['/hero.png'] = { hash: 'b'.repeat(64), size: 1 }
    expect(planFlip(p, d)).toMatchObject({ srcImages: ['/hero.png'], remoteSrcImages: [A, B] })
    expect(planFlip(manifestWith(undefined, 'dpl_old'), d).remoteSrcImages).toEqual([])
  })
})

describe('finding remote images in built pages', () => {
  it('decodes optimizer URLs in HTML (src, srcset, &amp;) and payloads (\\u0026) to the src the page wrote', () => {
    const html =
      `<img srcset="/_next/image?url=${encodeURIComponent(B)}&amp;w=640&amp;q=75 1x, /_next/image?url=${encodeURIComponent(B)}&amp;w=1080&amp;q=75 2x"` +
      ` src="/_vercel/image?url=${encodeURIComponent(A)}&amp;w=640&amp;q=100"><img src="/_next/image?url=%2Fimages%2Fhero.png&amp;w=64&amp;q=75">` +
      `<link rel="preload" imagesrcset="https://site.example/_next/image?url=${encodeURIComponent(C)}&amp;w=64&amp;q=75 1x">`
    expect(findOptimizedSources(html)).toEqual([B, A, C])
    const payload = `self.__next_f.push([1,"{\\"src\\":\\"/_next/image?url=${encodeURIComponent(A)}\\u0026w=64\\u0026q=75\\"}"])`
    expect(findOptimizedSources(payload)).toEqual([A])
    expect(findOptimizedSources('<img src="https://cdn.example.com/plain.png">')).toEqual([])
  })

  it('watched patterns match absolute URLs anywhere; plain URLs are watched as they are', () => {
    const warnings: string[] = []
    const watch = readWatchList(['https://cdn.example.com/banners/**', 'https://cdn.example.com/logo.png', 'not a url'], warnings)
    expect(watch.urls).toEqual(['https://cdn.example.com/logo.png'])
    expect(warnings).toEqual(['remoteImages.watch: "not a url" is not an absolute http(s) URL; left out'])
    const code = `const banners = ["https://cdn.example.com/banners/2026/spring.jpg", "https://cdn.example.com/other/x.jpg"]`
    expect(findWatchedUrls(code, watch.patterns)).toEqual(['https://cdn.example.com/banners/2026/spring.jpg'])
  })
})
