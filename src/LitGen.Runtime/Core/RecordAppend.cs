using System;
using System.IO;

namespace LitGen;

/// <summary>
/// Appends a log's records whole or not at all: a write that fails part-way (the disk filled up) is cut back to the
/// file's previous length, so the file still ends with its last whole record (a CSV row, a TensorBoard event).
/// </summary>
internal static class RecordAppend
{
    public static void Write(FileStream stream, ReadOnlySpan<byte> records, string path)
    {
        long before = stream.Length;
        try
        {
            stream.Write(records);
        }
        catch (IOException e)
        {
            try
            {
                stream.SetLength(before);
            }
            catch (IOException)
            {
                // The file may keep a partial record; a resume cuts it (see CsvLogger).
            }
            throw Failure(path, e, "it ends with its last whole record");
        }
    }

    /// <summary>An error that names the file and, when that is the cause, says the disk is full.</summary>
    public static IOException Failure(string path, IOException cause, string state)
    {
        bool full = cause.HResult is 28 or 0x70 or 0x27 || cause.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
        return new IOException($"Could not write '{path}': {(full ? "the disk is full" : cause.Message)}; {state}.", cause);
    }
}
