// The entry of a hashing thread, as the build emits it (dist/hash-thread.js): see ./hash-thread.ts.
import { hashingThread } from './hash-thread.js'

hashingThread()
