using System;
using System.IO;

namespace LitGen;

/// <summary>
/// A byte payload of a checkpoint (an optimizer's state) that is never held in memory as a whole: either written on
/// demand by a serializer (its length measured by a first, counting pass), or a region of a checkpoint file. Payloads
/// of any size pass through streams.
/// </summary>
internal sealed class CheckpointBlob
{
    private readonly Action<Stream>? write;
    private readonly string? path;
    private readonly long offset;

    private CheckpointBlob(long length, Action<Stream>? write, string? path, long offset)
    {
        Length = length;
        this.write = write;
        this.path = path;
        this.offset = offset;
    }

    public long Length { get; }

    /// <summary>A payload a serializer writes; it must write the same bytes each time it is called.</summary>
    public static CheckpointBlob Generated(Action<Stream> write)
    {
        var counter = new CountingStream();
        write(counter);
        return new CheckpointBlob(counter.Count, write, null, 0);
    }

    /// <summary>A region of an existing file.</summary>
    public static CheckpointBlob InFile(string path, long offset, long length) => new(length, null, path, offset);

    /// <summary>Writes the payload to <paramref name="destination"/>.</summary>
    public void WriteTo(Stream destination)
    {
        if (write is not null) write(destination);
        else
        {
            using var source = Open();
            SafetensorsFile.CopyExactly(source, destination, Length);
        }
    }

    /// <summary>A read-only stream of exactly the payload.</summary>
    public Stream Open()
    {
        if (path is null)
        {
            var buffer = new MemoryStream();
            WriteTo(buffer);
            buffer.Position = 0;
            return buffer;
        }
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        file.Position = offset;
        return new Window(file, Length);
    }

    /// <summary>Counts what is written and keeps none of it.</summary>
    private sealed class CountingStream : Stream
    {
        public long Count { get; private set; }

        public override void Write(byte[] buffer, int offset, int count) => Count += count;
        public override void Write(ReadOnlySpan<byte> buffer) => Count += buffer.Length;
        public override void WriteByte(byte value) => Count++;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Count;
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>The next <c>length</c> bytes of a stream, then its end.</summary>
    private sealed class Window(Stream inner, long length) : Stream
    {
        private long remaining = length;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (remaining == 0) return 0;
            int read = inner.Read(buffer[..(int)Math.Min(buffer.Length, remaining)]);
            remaining -= read;
            return read;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
