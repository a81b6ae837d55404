/**
 * Lines to stdout and stderr without creating `process.stdout` / `process.stderr`
 * until needed: those streams cost a probe ~2 ms of start-up to set up, more than
 * the one or two lines it prints. Writes go straight to the file descriptor; the
 * first write that fails or is partial (a full non-blocking pipe, a closed one)
 * hands that and every later line to the stream, so the order is kept and errors
 * surface as they always did.
 */
const { writeSync } = process.getBuiltinModule('node:fs');

/** A function that writes one line to fd 1 (stdout) or 2 (stderr). */
export function lineWriter(fd: 1 | 2): (line: string) => void {
  let stream: NodeJS.WriteStream | undefined;
  return (line) => {
    const bytes = Buffer.from(`${line}\n`);
    let written = 0;
    if (!stream) {
      try {
        written = writeSync(fd, bytes);
        if (written === bytes.length) return;
      } catch {
        // the stream takes over below
      }
      stream = fd === 1 ? process.stdout : process.stderr;
    }
    stream.write(bytes.subarray(written));
  };
}
