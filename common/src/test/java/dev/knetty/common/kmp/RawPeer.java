package dev.knetty.common.kmp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;

/**
 * A KMP peer on a plain blocking socket, for playing a misbehaving client or a fake server: it
 * writes exactly what it is told (messages or raw bytes) and reads frames when asked, never on its
 * own. Reads time out after 30 s instead of hanging a test.
 */
final class RawPeer implements AutoCloseable {

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final KmpEncoder encoder = new KmpEncoder(KmpProtocol.DEFAULT_MAX_FRAME_LENGTH, 65_536);
  private final KmpDecoder decoder = new KmpDecoder(65_536);

  RawPeer(Socket socket) {
    try {
      this.socket = socket;
      socket.setSoTimeout(30_000);
      this.in = new DataInputStream(socket.getInputStream());
      this.out = socket.getOutputStream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Connects; {@code receiveBuffer > 0} sets a small receive buffer (a slow reader). */
  static RawPeer connect(InetSocketAddress address, int receiveBuffer) {
    try {
      Socket socket = new Socket();
      if (receiveBuffer > 0) {
        socket.setReceiveBufferSize(receiveBuffer);
      }
      socket.connect(address, 10_000);
      return new RawPeer(socket);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static RawPeer connect(InetSocketAddress address) {
    return connect(address, 0);
  }

  int localPort() {
    return socket.getLocalPort();
  }

  void send(KmpMessage message) {
    ByteBuf buf = Unpooled.buffer();
    try {
      encoder.encode(message, buf);
      sendBytes(ByteBufUtil.getBytes(buf));
    } finally {
      buf.release();
    }
  }

  void sendBytes(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The next frame's message (unknown frame types skipped); EOFException at the end. */
  KmpMessage receive() throws IOException {
    while (true) {
      int length = in.readInt();
      byte[] frame = new byte[length];
      in.readFully(frame);
      KmpMessage message = decoder.decode(Unpooled.wrappedBuffer(frame));
      if (message != null) {
        return message;
      }
    }
  }

  /** Every message until the peer closes the connection (or resets it). */
  List<KmpMessage> receiveUntilClosed() {
    List<KmpMessage> messages = new ArrayList<>();
    try {
      while (true) {
        messages.add(receive());
      }
    } catch (EOFException | SocketException e) {
      return messages; // closed (a reset is a close too)
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Client side: sends {@code hello}, returns the server's HELLO. */
  Hello handshake(Hello hello) throws IOException {
    send(hello);
    return (Hello) receive();
  }

  /** Server side: reads the client's HELLO, answers with an autoscaler HELLO. */
  Hello accept(int heartbeatMillis) throws IOException {
    Hello client = (Hello) receive();
    send(
        Hello.of(
            Role.AUTOSCALER,
            KmpTesting.AUTOSCALER_POD,
            "127.0.0.1",
            heartbeatMillis,
            KmpProtocol.DEFAULT_MAX_FRAME_LENGTH,
            65_536));
    return client;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
