// @module-tag floor
import { describe, expect, it } from 'vitest'
import { diffImages } from '../../src/core/diff.js'
import { batchCount, planInvalidation } from '../../src/core/plan.js'

const d = (hash: string, size = 1) => ({ hash: hash.repeat(64), size })

describe('diffImages', () => {
  const baseline = { '/a.png': d('a'), '/b.png': d('b'), '/c.png': d('c'), '/old.png': d('e') }
  const current = {
    '/a.png': d('a', 99), // same bytes, other size field: a touch changes nothing
    '/b.png': d('f'),
    '/c.png': d('c'),
    '/new.png': d('e'), // a rename: old removed, new added
  }

  it('finds changed and removed images by hash alone; added ones are listed but need nothing', () => {
    expect(diffImages(baseline, current)).toEqual({ changed: ['/b.png'], removed: ['/old.png'], added: ['/new.png'], unchanged: 2 })
  })

  it('finds nothing between identical sets', () => {
    expect(diffImages(baseline, { ...baseline })).toEqual({ changed: [], removed: [], added: [], unchanged: 4 })
  })
})

describe('planInvalidation', () => {
  it('prefixes basePath, sorts by code unit, keeps each once, and does not percent-encode', () => {
    const plan = planInvalidation({ changed: ['/z.png', '/images/my photo.png', '/Ä.png'], removed: ['/a.png', '/z.png'] }, '/docs')
    expect(plan).toEqual(['/docs/a.png', '/docs/images/my photo.png', '/docs/z.png', '/docs/Ä.png'])
  })

  it('needs ceil(n/8) calls', () => {
    expect([0, 1, 8, 9, 16, 17, 21, 1000].map((n) => batchCount(n))).toEqual([0, 1, 1, 2, 2, 3, 3, 125])
  })
})
