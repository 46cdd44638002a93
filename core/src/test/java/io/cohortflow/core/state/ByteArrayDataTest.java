package io.cohortflow.core.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The array-backed data streams write and read exactly what the JDK's data streams do. */
class ByteArrayDataTest {
    private static void writeAll(DataOutput out, Random r) throws IOException {
        for (int i = 0; i < 200; i++) {
            out.writeByte(r.nextInt());
            out.writeBoolean(r.nextBoolean());
            out.writeShort(r.nextInt());
            out.writeChar(r.nextInt());
            out.writeInt(r.nextInt());
            out.writeLong(r.nextLong());
            out.writeFloat(r.nextFloat() * 1e6f - 5e5f);
            out.writeDouble(r.nextGaussian() * 1e12);
            Varints.writeUnsigned(out, r.nextLong());
            Varints.writeSigned(out, r.nextInt(2000) - 1000);
            Varints.writeString(out, "ü✓" + i);
            Varints.writeString(out, "Event" + i); // ASCII: written without an encoded copy
            Varints.writeString(out, "");
            Varints.writeString(out, "page.Event" + i, 5); // the rest after a shared prefix
            Varints.writeString(out, "ü✓ü" + i, 1);
            out.writeUTF("modified ✓ \u0000 " + i);
            out.writeBytes("ascii" + i);
            out.writeChars("chars✓" + i);
            out.write(new byte[] {1, 2, (byte) i}, 1, 2);
        }
    }

    @Test
    void writes_the_bytes_of_a_data_output_stream() throws IOException {
        ByteArrayOutputStream jdk = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(jdk)) {
            writeAll(out, new Random(7));
        }
        ByteArrayDataOutput ours = new ByteArrayDataOutput(1);
        writeAll(ours, new Random(7));
        assertThat(ours.toByteArray()).isEqualTo(jdk.toByteArray());
        assertThat(ours.size()).isEqualTo(jdk.size());
    }

    @Test
    void reads_what_a_data_input_stream_reads() throws IOException {
        ByteArrayDataOutput bytes = new ByteArrayDataOutput();
        writeAll(bytes, new Random(11));
        byte[] b = bytes.toByteArray();
        DataInput jdk = new DataInputStream(new ByteArrayInputStream(b));
        ByteArrayDataInput ours = new ByteArrayDataInput(b);
        for (int i = 0; i < 200; i++) {
            assertThat(ours.readByte()).isEqualTo(jdk.readByte());
            assertThat(ours.readBoolean()).isEqualTo(jdk.readBoolean());
            assertThat(ours.readShort()).isEqualTo(jdk.readShort());
            assertThat(ours.readChar()).isEqualTo(jdk.readChar());
            assertThat(ours.readInt()).isEqualTo(jdk.readInt());
            assertThat(ours.readLong()).isEqualTo(jdk.readLong());
            assertThat(ours.readFloat()).isEqualTo(jdk.readFloat());
            assertThat(ours.readDouble()).isEqualTo(jdk.readDouble());
            assertThat(Varints.readUnsigned(ours)).isEqualTo(Varints.readUnsigned(jdk));
            assertThat(Varints.readSigned(ours)).isEqualTo(Varints.readSigned(jdk));
            assertThat(Varints.readString(ours)).isEqualTo(Varints.readString(jdk));
            assertThat(Varints.readString(ours))
                    .isEqualTo(Varints.readString(jdk))
                    .isEqualTo("Event" + i);
            assertThat(Varints.readString(ours)).isEqualTo(Varints.readString(jdk)).isEmpty();
            assertThat(Varints.readString(ours))
                    .isEqualTo(Varints.readString(jdk))
                    .isEqualTo("Event" + i);
            assertThat(Varints.readString(ours))
                    .isEqualTo(Varints.readString(jdk))
                    .isEqualTo("✓ü" + i);
            assertThat(ours.readUTF()).isEqualTo(jdk.readUTF());
            byte[] a = new byte[("ascii" + i).length()];
            byte[] j = new byte[a.length];
            ours.readFully(a);
            jdk.readFully(j);
            assertThat(a).isEqualTo(j);
            int chars = ("chars✓" + i).length() * 2 + 2;
            assertThat(ours.skipBytes(chars)).isEqualTo(jdk.skipBytes(chars));
        }
        assertThat(ours.available()).isZero();
        assertThatThrownBy(ours::readByte).isInstanceOf(EOFException.class);
    }

    @Test
    void reads_lines_and_a_slice() throws IOException {
        byte[] b = "xxone\r\ntwo\rthree\nfour".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteArrayDataInput in = new ByteArrayDataInput(b, 2, b.length - 2);
        assertThat(in.readLine()).isEqualTo("one");
        assertThat(in.readLine()).isEqualTo("two");
        assertThat(in.readLine()).isEqualTo("three");
        assertThat(in.readLine()).isEqualTo("four");
        assertThat(in.readLine()).isNull();
    }
}
