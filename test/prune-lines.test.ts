// @module-tag floor
import { describe, expect, it } from 'vitest'
import { describePrune, type PruneNextCacheReport } from '../src/next-image-cache/prune-command.js'

// What prune-next-cache prints, where the words are the point: a self-hosted server has releases, not flips,
// and one of anything is singular.
const cwd = '/srv/app'
const report = (fields: Partial<PruneNextCacheReport>): PruneNextCacheReport => ({
  ok: true,
  dryRun: false,
  cacheDir: '/srv/app/.next/cache/images',
  next: { source: '/srv/app/public/_image-invalidate.json', buildId: 'build_d' },
  previous: { via: '--from live.json', buildId: 'build_p' },
  srcImages: [],
  removed: {},
  total: 0,
  ...fields,
})

describe('prune-next-cache lines', () => {
  it('a dry run: what would go, and since which release', () => {
    const lines = describePrune(report({ dryRun: true, srcImages: ['/a.png', '/b.png', '/c.png'], removed: { '/a.png': 2, '/b.png': 1 }, total: 3 }), cwd)
    expect(lines).toBe(
      '/a.png: 2 cached variants would be removed\n' +
        '/b.png: 1 cached variant would be removed\n' +
        'would remove 3 cached variants from .next/cache/images, looking for the 3 source images changed, removed or added since build_p\n',
    )
  })

  it('a prune with no earlier release: every image of this one, in the singular when there is one', () => {
    const lines = describePrune(report({ previous: null, srcImages: ['/a.png'], removed: { '/a.png': 1 }, total: 1 }), cwd)
    expect(lines).toBe(
      '/a.png: 1 cached variant removed\nremoved 1 cached variant from .next/cache/images, looking for the 1 source image of build_d, with no earlier release to compare with\n',
    )
  })

  it('the whole cache, one entry or several', () => {
    const whole = (entries: number, dryRun: boolean) => describePrune(report({ dryRun, wholeCache: { reason: 'no next here', entries } }), cwd)
    expect(whole(1, true)).toBe('would remove the whole image cache .next/cache/images (1 entry), since no next here\n')
    expect(whole(2, false)).toBe('removed the whole image cache .next/cache/images (2 entries), since no next here\n')
  })
})
