import { afterEach } from 'vitest'
import { stopChildren } from '../helpers/processes.js'

// A test that failed or timed out may leave a build running: end it before the next test starts.
afterEach(stopChildren)
