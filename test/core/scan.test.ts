// @module-tag floor
import { execFileSync } from 'node:child_process'
import { mkdir, symlink } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import picomatch from 'picomatch'
import { DEFAULT_INCLUDE, hasImageExtension, walkPublicDir, type ScanOptions } from '../../src/core/scan.js'
import { compareKeys } from '../../src/core/keys.js'
import { tempDir } from '../helpers/tmp.js'

async function keys(dir: string, options: ScanOptions = {}): Promise<string[]> {
  const found: string[] = []
  for await (const batch of walkPublicDir(dir, options)) found.push(...batch.map((file) => file.key))
  return found.sort(compareKeys)
}

describe('walkPublicDir', () => {
  it('lists the images in nested folders, by URL path, sorted, and leaves other files out', async () => {
    const dir = await tempDir({
      'hero.png': 'a',
      'images/my photo.jpg': 'b',
      'images/café/crème.webp': 'c',
      'images/deep/er/x.avif': 'd',
      'robots.txt': 'e',
      'data.json': 'f',
      'fonts/inter.woff2': 'g',
    })
    expect(await keys(dir)).toEqual(['/hero.png', '/images/café/crème.webp', '/images/deep/er/x.avif', '/images/my photo.jpg'])
  })

  it('yields files in key order, a folder sorting as its name and a slash', async () => {
    // "." (2E) sorts before "/" (2F) and "0" (30) after: /a.png, /a/b.png, /a0.png; upper case before lower.
    const names = ['a0.png', 'a/b.png', 'a.png', 'a-b.png', 'B.png', 'a/c/d.png', 'a/c.png', 'é.png', 'z/y/x.png', 'z.png']
    const dir = await tempDir(Object.fromEntries(names.map((name) => [name, name])))
    const inOrder: string[] = []
    for await (const batch of walkPublicDir(dir)) inOrder.push(...batch.map((file) => file.key))
    expect(inOrder).toEqual(names.map((name) => `/${name}`).sort(compareKeys))
    expect(inOrder).toEqual(['/B.png', '/a-b.png', '/a.png', '/a/b.png', '/a/c.png', '/a/c/d.png', '/a0.png', '/z.png', '/z/y/x.png', '/é.png'])
  })

  it('matches every default extension case-insensitively', async () => {
    const names = ['a.png', 'b.JPG', 'c.jpeg', 'd.WebP', 'e.avif', 'f.gif', 'g.svg', 'h.ico', 'i.bmp', 'j.tif', 'k.TIFF', 'l.heic', 'm.pngx']
    const dir = await tempDir(Object.fromEntries(names.map((name) => [name, name])))
    expect(await keys(dir)).toEqual(['/a.png', '/b.JPG', '/c.jpeg', '/d.WebP', '/e.avif', '/f.gif', '/g.svg', '/h.ico', '/i.bmp', '/j.tif', '/k.TIFF'])
  })

  it('takes the same files as the default glob, matched case-insensitively', () => {
    const glob = picomatch(DEFAULT_INCLUDE, { dot: true, nocase: true })
    const paths = [
      'a.png',
      'x/y/B.JPEG',
      '.png',
      '.hidden/z.svg',
      'a.png.txt',
      'png',
      'dir.png/file',
      'dir.png/file.gif',
      'a.',
      'a..png',
      'ä/ö.WEBP',
      'a.tiff',
      'a.tif',
      'a.tiffx',
      'a.jpg ',
      'x/.ico',
    ]
    const taken = paths.filter(hasImageExtension)
    expect(taken).toEqual(paths.filter((path) => glob(path)))
    expect(taken).toEqual(['a.png', 'x/y/B.JPEG', '.png', '.hidden/z.svg', 'dir.png/file.gif', 'a..png', 'ä/ö.WEBP', 'a.tiff', 'a.tif', 'x/.ico'])
  })

  it('includes hidden folders, which are served as well', async () => {
    const dir = await tempDir({ '.well-known/logo.png': 'a' })
    expect(await keys(dir)).toEqual(['/.well-known/logo.png'])
  })

  it('applies user include and exclude globs', async () => {
    const dir = await tempDir({ 'a.png': '1', 'drafts/b.png': '2', 'c.heic': '3', 'docs/d.heic': '4' })
    expect(await keys(dir, { include: ['**/*.heic'] })).toEqual(['/c.heic', '/docs/d.heic'])
    expect(await keys(dir, { exclude: ['drafts/**'] })).toEqual(['/a.png'])
  })

  it('matches user globs case-insensitively, as the default: include, exclude, and a name without glob syntax', async () => {
    const dir = await tempDir({ 'HERO.JPG': '1', 'a.jpg': '2', 'b.PNG': '3', 'Drafts/c.png': '4', 'drafts/d.png': '5', 'Keep.png': '6', 'IMG.HEIC': '7' })
    expect(await keys(dir, { include: ['**/*.jpg'] })).toEqual(['/HERO.JPG', '/a.jpg'])
    expect(await keys(dir, { include: ['**/*.PNG'] })).toEqual(['/Drafts/c.png', '/Keep.png', '/b.PNG', '/drafts/d.png'])
    expect(await keys(dir, { include: ['**/*.heic', 'hero.jpg'] })).toEqual(['/HERO.JPG', '/IMG.HEIC'])
    expect(await keys(dir, { exclude: ['drafts/**', 'keep.PNG'] })).toEqual(['/HERO.JPG', '/a.jpg', '/b.PNG'])
  })

  it('yields nothing for a missing public directory, without an error', async () => {
    const dir = await tempDir()
    expect(await keys(path.join(dir, 'nope'))).toEqual([])
  })

  it('keeps a dangling link, so that hashing reports it, and leaves out a FIFO, which could block a read', async () => {
    const dir = await tempDir({ 'ok.png': 'x' })
    await symlink(path.join(dir, 'missing.png'), path.join(dir, 'dangling.png'))
    execFileSync('mkfifo', [path.join(dir, 'pipe.png')])
    expect(await keys(dir)).toEqual(['/dangling.png', '/ok.png'])
  })

  it('follows symbolic links to files and folders, as bundlers copy their targets', async () => {
    const dir = await tempDir({ 'shared/logo.png': 'x', 'assets/real.png': 'y' })
    await mkdir(path.join(dir, 'public'))
    await symlink(path.join(dir, 'shared/logo.png'), path.join(dir, 'public/logo.png'))
    await symlink(path.join(dir, 'assets'), path.join(dir, 'public/assets'), 'dir')
    expect(await keys(path.join(dir, 'public'))).toEqual(['/assets/real.png', '/logo.png'])
  })
})

describe('walkPublicDir and links that lead back', () => {
  it('enters a linked folder that leads back to a folder on the way once, lists each real file once, and names the cycle', async () => {
    const dir = await tempDir({ 'x.png': 'x', 'a/y.png': 'y', 'c/z.png': 'z' })
    await symlink('..', path.join(dir, 'a/loop')) // back to the root
    await symlink('../c', path.join(dir, 'a/to-c')) // a folder elsewhere: entered, its files served under this name too
    await symlink('../a', path.join(dir, 'c/to-a')) // a/to-c/to-a leads back to a, on the way
    const cycles: string[] = []
    const found = await keys(dir, { onLinkCycle: (key, target) => cycles.push(`${key} -> ${path.relative(dir, target) || '.'}`) })
    // Each real file under each name a visitor can request without going round a loop.
    expect(found).toEqual(['/a/to-c/z.png', '/a/y.png', '/c/to-a/y.png', '/c/z.png', '/x.png'])
    expect(cycles.sort()).toEqual(['/a/loop -> .', '/a/to-c/to-a -> a', '/c/to-a/loop -> .', '/c/to-a/to-c -> c'])
  })
})
