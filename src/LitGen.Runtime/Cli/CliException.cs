using System;

namespace LitGen;

/// <summary>A command line or configuration file LitCli cannot use; reported as <c>error: …</c> with exit code 2.</summary>
internal sealed class CliException(string message) : Exception(message);
