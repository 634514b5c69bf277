namespace LitGen.Runtime.Tests.Support;

/// <summary>
/// Tests that redirect the process's console (Console.SetOut/SetError) run in this collection: alone, after the parallel
/// ones, so that no other test's trainer writes into what they capture and they restore the console for no one else.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}

/// <summary>Runs an action with the console redirected, for tests in <see cref="ConsoleCollection"/>.</summary>
public static class ConsoleCapture
{
    public static (string Output, string Errors) Run(Action action)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var (originalOut, originalError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(errors);
        try
        {
            action();
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
        return (output.ToString(), errors.ToString());
    }
}
