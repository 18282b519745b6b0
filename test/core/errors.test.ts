// @module-tag floor
import { describe, expect, it } from 'vitest'
import { failureOf } from '../../src/core/errors.js'
import { ImageInvalidateError, ManifestError, parseManifest, StrictModeError } from '../../src/index.js'

describe('one error model', () => {
  it('the errors users meet, from the package root, are ImageInvalidateErrors with a stable code', () => {
    let thrown: unknown
    try {
      parseManifest('{"version":1')
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ManifestError)
    expect(thrown).toBeInstanceOf(ImageInvalidateError)
    expect(thrown).toMatchObject({ name: 'ManifestError', code: 'IMAGE_INVALIDATE_MANIFEST_INVALID' })
    const strict = new StrictModeError('stopped')
    expect(strict).toBeInstanceOf(ImageInvalidateError)
    expect(strict).toMatchObject({ name: 'StrictModeError', code: 'IMAGE_INVALIDATE_STRICT_MODE', message: 'stopped' })
  })

  it('a failure keeps the code of this package’s errors; anything else is unexpected', () => {
    expect(failureOf(new ManifestError('is not JSON'))).toEqual({ code: 'IMAGE_INVALIDATE_MANIFEST_INVALID', message: 'is not JSON' })
    expect(failureOf(new TypeError('x is undefined'))).toEqual({ code: 'IMAGE_INVALIDATE_UNEXPECTED', message: 'x is undefined' })
    expect(failureOf('a string')).toEqual({ code: 'IMAGE_INVALIDATE_UNEXPECTED', message: 'a string' })
  })
})
