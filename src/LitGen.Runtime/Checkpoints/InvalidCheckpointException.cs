using System;

namespace LitGen;

/// <summary>A checkpoint file is truncated, corrupt, foreign or for another module; the message names the file and why.</summary>
public sealed class InvalidCheckpointException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/> with the <paramref name="reason"/> it was rejected.</summary>
    public InvalidCheckpointException(string path, string reason, Exception? inner = null)
        : base($"Invalid checkpoint '{path}': {reason}", inner)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }

    /// <summary>Why it was rejected.</summary>
    public string Reason { get; }
}
