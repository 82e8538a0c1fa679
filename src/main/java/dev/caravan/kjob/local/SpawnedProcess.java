package dev.caravan.kjob.local;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * A process that {@link SessionSpawn} started: its output (standard error merged in) and input are
 * pipes read and written through libc, and it is reaped with {@code waitpid} on its own pid by
 * whichever thread waits for it first. Never signaled once reaped, so a pid the kernel handed on is
 * not hit.
 */
final class SpawnedProcess extends Process {

  private static final int SIGTERM = 15;
  private static final int SIGKILL = 9;
  private static final int WNOHANG = 1;
  private static final int BUFFER_BYTES = 8192;

  private final SessionSpawn.SpawnLibrary libc;
  private final int pid;
  private final PipeInputStream output;
  private final PipeOutputStream input;
  private final ReentrantLock reaping = new ReentrantLock();
  private volatile Integer exitCode;

  SpawnedProcess(SessionSpawn spawn, int pid, int outputFd, int inputFd) {
    this.libc = spawn.libc();
    this.pid = pid;
    this.output = new PipeInputStream(outputFd);
    this.input = new PipeOutputStream(inputFd);
  }

  @Override
  public OutputStream getOutputStream() {
    return input;
  }

  @Override
  public InputStream getInputStream() {
    return output;
  }

  /** Empty: standard error goes to the output. */
  @Override
  public InputStream getErrorStream() {
    return InputStream.nullInputStream();
  }

  @Override
  public int waitFor() throws InterruptedException {
    Integer code = exitCode;
    if (code != null) {
      return code;
    }
    reaping.lockInterruptibly();
    try {
      while (exitCode == null) {
        int[] status = new int[1];
        try {
          if (libc.waitpid(pid, status, 0) == pid) {
            exitCode = decode(status[0]);
          }
        } catch (LastErrorException e) {
          if (e.getErrorCode() != SessionSpawn.EINTR) {
            throw new IllegalStateException("waitpid of " + pid + " failed", e);
          }
        }
      }
      return exitCode;
    } finally {
      reaping.unlock();
    }
  }

  @Override
  public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (!hasExited()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
    }
    return true;
  }

  @Override
  public int exitValue() {
    if (!hasExited()) {
      throw new IllegalThreadStateException("process " + pid + " has not exited");
    }
    Integer code = exitCode;
    // a zombie that the thread in waitpid reaps in a moment
    return code != null ? code : ProcessTree.awaitExit(this);
  }

  @Override
  public boolean isAlive() {
    return !hasExited();
  }

  /** Whether it has exited: reaped now without waiting, unless another thread waits for it. */
  private boolean hasExited() {
    if (exitCode != null) {
      return true;
    }
    if (!reaping.tryLock()) {
      // a thread waits in waitpid: alive unless the kernel says it is a zombie already
      return ProcFs.stat(pid).map(ProcFs.Stat::isZombie).orElse(false) || exitCode != null;
    }
    try {
      if (exitCode == null) {
        int[] status = new int[1];
        try {
          if (libc.waitpid(pid, status, WNOHANG) == pid) {
            exitCode = decode(status[0]);
          }
        } catch (LastErrorException e) {
          // EINTR: ask again next time
        }
      }
      return exitCode != null;
    } finally {
      reaping.unlock();
    }
  }

  @Override
  public void destroy() {
    signal(SIGTERM);
  }

  @Override
  public Process destroyForcibly() {
    signal(SIGKILL);
    return this;
  }

  @Override
  public boolean supportsNormalTermination() {
    return true;
  }

  private void signal(int signal) {
    if (exitCode != null) {
      return;
    }
    try {
      libc.kill(pid, signal);
    } catch (LastErrorException e) {
      // exited meanwhile
    }
  }

  @Override
  public long pid() {
    return pid;
  }

  @Override
  public ProcessHandle toHandle() {
    return handle().orElseThrow(() -> new IllegalStateException("process " + pid + " is gone"));
  }

  @Override
  public Stream<ProcessHandle> children() {
    return handle().map(ProcessHandle::children).orElseGet(Stream::empty);
  }

  @Override
  public Stream<ProcessHandle> descendants() {
    return handle().map(ProcessHandle::descendants).orElseGet(Stream::empty);
  }

  private Optional<ProcessHandle> handle() {
    return exitCode != null ? Optional.empty() : ProcessHandle.of(pid);
  }

  /** As Java reports it: the exit code, or 128 plus the signal that killed the process. */
  private static int decode(int status) {
    int signal = status & 0x7f;
    return signal == 0 ? (status >> 8) & 0xff : 0x80 + signal;
  }

  /** The read end of the output pipe; closed at its end or by {@link #close()}. */
  private final class PipeInputStream extends InputStream {
    private final int fd;
    private final Memory buffer = new Memory(BUFFER_BYTES);
    private boolean closed;

    PipeInputStream(int fd) {
      this.fd = fd;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] bytes, int offset, int length) throws IOException {
      if (closed) {
        return -1;
      }
      if (length == 0) {
        return 0;
      }
      int wanted = Math.min(length, BUFFER_BYTES);
      while (true) {
        long read;
        try {
          read = libc.read(fd, buffer, new NativeLong(wanted)).longValue();
        } catch (LastErrorException e) {
          if (e.getErrorCode() == SessionSpawn.EINTR) {
            continue;
          }
          throw new IOException("Reading the output of process " + pid + ": " + e.getMessage());
        }
        if (read == 0) {
          close();
          return -1;
        }
        buffer.read(0, bytes, offset, (int) read);
        return (int) read;
      }
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        libc.close(fd);
        buffer.close();
      }
    }
  }

  /** The write end of the input pipe. */
  private final class PipeOutputStream extends OutputStream {
    private final int fd;
    private boolean closed;

    PipeOutputStream(int fd) {
      this.fd = fd;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
      if (closed) {
        throw new IOException("Stream closed");
      }
      try (Memory chunk = new Memory(Math.max(1, Math.min(length, BUFFER_BYTES)))) {
        int done = 0;
        while (done < length) {
          int size = Math.min(length - done, BUFFER_BYTES);
          chunk.write(0, bytes, offset + done, size);
          int written = 0;
          while (written < size) {
            try {
              written +=
                  (int)
                      libc.write(fd, chunk.share(written), new NativeLong(size - written))
                          .longValue();
            } catch (LastErrorException e) {
              if (e.getErrorCode() != SessionSpawn.EINTR) {
                throw new IOException(
                    "Writing the input of process " + pid + ": " + e.getMessage());
              }
            }
          }
          done += size;
        }
      }
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        libc.close(fd);
      }
    }
  }
}
