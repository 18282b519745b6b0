// @module-tag floor
import { describe, expect, it } from 'vitest'
import { compareKeys, sortKeys } from '../../src/core/keys.js'
import { createManifest, parseManifest, serializeManifest, type Manifest } from '../../src/core/manifest.js'

const hash = (c: string) => c.repeat(64)

function sample(order: 'forward' | 'reverse' = 'forward'): Manifest {
  const entries: Array<[string, { hash: string; size: number }]> = [
    ['/a.png', { hash: hash('a'), size: 1 }],
    ['/images/my photo.png', { hash: hash('b'), size: 2 }],
    ['/images/café.png', { hash: hash('c'), size: 3 }],
  ]
  if (order === 'reverse') entries.reverse()
  return createManifest({
    buildId: 'dpl_123',
    basePath: '/docs',
    images: Object.fromEntries(entries),
    plan: { baseline: 'dpl_100', srcImages: ['/docs/a.png'] },
    createdAt: new Date('2026-01-02T03:04:05.000Z'),
  })
}

describe('sortKeys', () => {
  it('sorts as compareKeys does: by UTF-16 code unit, not by locale', () => {
    const keys = ['/b.png', '/B.png', '/é.png', '/e.png', '/😀.png', '/\uffff.png', '/a b.png', '/a-b.png', '/a/b.png', '/a.png']
    const expected = [...keys].sort(compareKeys)
    expect(sortKeys([...keys])).toEqual(expected)
    expect(expected.slice(0, 3)).toEqual(['/B.png', '/a b.png', '/a-b.png'])
    expect(expected.slice(-2)).toEqual(['/😀.png', '/\uffff.png'])
  })
})

describe('manifest', () => {
  it('serializes deterministically, whatever the insertion order, and parses back to the same value', () => {
    const text = serializeManifest(sample())
    expect(serializeManifest(sample('reverse'))).toBe(text)
    expect(parseManifest(text)).toEqual(sample())
    expect(text.indexOf('"algorithm"')).toBeLessThan(text.indexOf('"version"'))
    expect(text).toContain('"/images/café.png"')
    expect(text).toContain('"/images/my photo.png"')
  })

  it('sorts the images of a manifest built by hand, one field per line', () => {
    const manifest = sample()
    const byHand: Manifest = { ...manifest, images: { '/z.png': { hash: hash('d'), size: 4 }, ...manifest.images } }
    const text = serializeManifest(byHand)
    expect(Object.keys(JSON.parse(text).images)).toEqual(['/a.png', '/images/café.png', '/images/my photo.png', '/z.png'])
    expect(text).toContain(`\n    "/z.png": {\n      "hash": "${hash('d')}",\n      "size": 4\n    }\n  },\n`)
    expect(text.endsWith('\n  "version": 1\n}\n')).toBe(true)
  })

  const base = JSON.parse(serializeManifest(sample())) as Record<string, any>
  const bad = (change: (m: Record<string, any>) => void) => {
    const copy = structuredClone(base)
    change(copy)
    return JSON.stringify(copy)
  }

  it.each([
    ['not JSON', '{"version": 1,', /is not JSON/],
    ['an array', '[]', /is not a JSON object/],
    ['another version', bad((m) => (m.version = 2)), /has version 2; this package reads version 1/],
    ['another algorithm', bad((m) => (m.algorithm = 'md5')), /algorithm "md5"/],
    ['no buildId', bad((m) => delete m.buildId), /"buildId"/],
    ['a bad date', bad((m) => (m.createdAt = 'yesterday')), /createdAt/],
    ['a basePath with a trailing slash', bad((m) => (m.basePath = '/docs/')), /basePath that must not end with "\/"/],
    ['a relative key', bad((m) => (m.images['a.png'] = { hash: hash('a'), size: 1 })), /"a.png" that is not an absolute path/],
    ['a ".." key', bad((m) => (m.images['/x/../etc/passwd'] = { hash: hash('a'), size: 1 })), /".." segment/],
    ['a backslash key', bad((m) => (m.images['/x\\y.png'] = { hash: hash('a'), size: 1 })), /backslash/],
    ['a non-hex hash', bad((m) => (m.images['/a.png'].hash = 'z'.repeat(64))), /64-digit lower-case hex/],
    ['a short hash', bad((m) => (m.images['/a.png'].hash = 'abc')), /64-digit lower-case hex/],
    ['a negative size', bad((m) => (m.images['/a.png'].size = -1)), /non-negative integer "size"/],
    ['no plan', bad((m) => delete m.plan), /no "plan" object/],
    ['a plan entry that is not a string', bad((m) => (m.plan.srcImages = [42])), /is not a string/],
    ['a plan entry twice', bad((m) => (m.plan.srcImages = ['/a.png', '/a.png'])), /twice/],
    ['a __proto__ key', bad((m) => (m.images = JSON.parse('{"__proto__": {"hash": "x", "size": 1}}'))), /"__proto__" that is not an absolute path/],
  ])('rejects a manifest with %s, saying what is wrong', (_name, text, message) => {
    expect(() => parseManifest(text)).toThrow(message)
  })

  it('rejects more images than the limit', () => {
    expect(() => parseManifest(serializeManifest(sample()), { maxImages: 2 })).toThrow('lists 3 images, more than the limit of 2')
  })
})
