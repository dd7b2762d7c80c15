import { appendDurably } from '../../src/archive/file-archive';

/**
 * Appends `bytes` bytes to the file argv[2] with appendDurably and prints how it ended (`resolved`, or
 * `rejected <code>`): archive-write-fails.test.ts runs it under a file size limit, where the system
 * takes only part of a write.
 */
const [file, bytes] = [process.argv[2]!, Number(process.argv[3])];
appendDurably(file, Buffer.alloc(bytes, 'x')).then(
  () => console.log('resolved'),
  (error: NodeJS.ErrnoException) => console.log(`rejected ${error.code ?? error.message}`),
);
