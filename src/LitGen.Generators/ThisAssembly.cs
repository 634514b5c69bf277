namespace LitGen.Generators;

internal static class ThisAssembly
{
    /// <summary>Written into <c>[GeneratedCode]</c>; kept in step with <c>LitGenVersion</c> in Directory.Build.props by a test.</summary>
    public const string Version = "0.1.0";
}
