using System;

namespace LitGen;

/// <summary>
/// A module, trainer option or callback is set up in a way LitGen cannot run (Lightning's
/// <c>MisconfigurationException</c>). The message names the problem and the fix.
/// </summary>
public sealed class MisconfigurationException : Exception
{
    /// <summary>Creates the exception with a message that says what to change.</summary>
    public MisconfigurationException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error behind it.</summary>
    public MisconfigurationException(string message, Exception inner) : base(message, inner) { }
}
