// @module-tag floor
import { describe, expect, it } from 'vitest'
import { nextImageContext, notOptimizedByVercel } from '../../src/plugin/next-images.js'
import { resolveBuildOptions } from '../../src/plugin/options.js'

describe('images Vercel does not optimize', () => {
  it.each([
    [{ output: 'export' as const }, "output: 'export'"],
    [{ images: { unoptimized: true } }, 'images.unoptimized: true'],
    [{ images: { loader: 'custom' as const, loaderFile: './loader.js' } }, 'a custom loader (images.loaderFile "./loader.js")'],
    [{ images: { loader: 'cloudinary' as const, path: 'https://res.cloudinary.com/demo/' } }, 'images.loader "cloudinary"'],
    [{ images: { loader: 'default' as const } }, undefined],
    [{}, undefined],
  ])('a Next.js config %j: %s', (config, reason) => {
    expect(notOptimizedByVercel(config)).toBe(reason)
  })

  it('plans nothing, local or remote, even when planning is asked for, and says why', () => {
    const context = nextImageContext({ images: { unoptimized: true } }, '/project', '.next')
    const options = resolveBuildOptions({ enabled: true }, { root: '/project', ...context })
    expect(options.planning).toBe(false)
    expect(options.planningReason).toBe('nothing is optimized by Vercel (images.unoptimized: true): nothing planned, local or remote')
    expect(options.remote).toBeNull()
  })

  it("an optimized app: the remote images step reads the app's pages with its images config", () => {
    const images = { remotePatterns: [{ hostname: 'cdn.example.com' }], dangerouslyAllowLocalIP: true }
    const options = resolveBuildOptions({}, { root: '/project', ...nextImageContext({ images }, '/project', '.next') })
    expect(options.remote).toMatchObject({
      source: { dirs: ['/project/.next/server/app', '/project/.next/server/pages'], imageConfig: { images, source: 'next.config images' } },
      allowLocalIP: true,
      budgetMs: 5000,
      concurrency: 32,
    })
    expect(resolveBuildOptions({ remoteImages: false }, { root: '/project', remote: { dirs: ['/out'] } }).remote).toBeNull()
  })

  it('names a remote images option of the wrong type and leaves it out', () => {
    const options = resolveBuildOptions({ remoteImages: { budgetMs: -1 } as never }, { root: '/project', remote: { dirs: ['/out'] } })
    expect(options.warnings).toEqual(['option remoteImages: {"budgetMs":-1} is not true, false or an object of remote image options; ignored'])
    expect(options.remote?.budgetMs).toBe(5000)
  })
})
