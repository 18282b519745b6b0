// @module-tag floor
import { describe, expect, it } from 'vitest'
import { planFlip } from '../../src/core/flip.js'

const d = (hash: string) => ({ hash: hash.repeat(64), size: 1 })
const manifest = (images: Record<string, ReturnType<typeof d>>, basePath = '') => ({ basePath, images })

describe('planFlip', () => {
  // X -> A -> B, two pushes in a row: hero changed in A and kept in B, logo changed in A and reverted in B.
  const X = manifest({ '/hero.png': d('1'), '/logo.png': d('2'), '/old.png': d('3') })
  const A = manifest({ '/hero.png': d('4'), '/logo.png': d('5'), '/new.png': d('6') })
  const B = manifest({ '/hero.png': d('4'), '/logo.png': d('2'), '/new.png': d('6') })

  it('sends what changed, went or appeared between the two live deployments, nothing else', () => {
    expect(planFlip(A, B).srcImages).toEqual(['/logo.png'])
    expect(planFlip(X, A)).toEqual({
      diff: { changed: ['/hero.png', '/logo.png'], removed: ['/old.png'], added: ['/new.png'], unchanged: 0 },
      srcImages: ['/hero.png', '/logo.png', '/new.png', '/old.png'],
      // No remote images recorded in either manifest (issue 28): none sent.
      remoteSrcImages: [],
    })
  })

  it('is a rollback read backwards: B -> X brings the old pictures and the removed name back', () => {
    expect(planFlip(B, X).srcImages).toEqual(['/hero.png', '/new.png', '/old.png'])
  })

  it('sends nothing between identical sets, and compares by bytes, not by size or order', () => {
    expect(planFlip(A, manifest({ '/new.png': d('6'), '/logo.png': d('5'), '/hero.png': { hash: '4'.repeat(64), size: 99 } })).srcImages).toEqual([])
  })

  it('compares source-image strings: a basePath that changed moves every image', () => {
    expect(planFlip(manifest({ '/a.png': d('1') }, '/docs'), manifest({ '/a.png': d('1') }, '/site')).srcImages).toEqual(['/docs/a.png', '/site/a.png'])
    expect(planFlip(manifest({ '/a.png': d('1') }, '/docs'), manifest({ '/a.png': d('2') }, '/docs')).srcImages).toEqual(['/docs/a.png'])
  })
})
