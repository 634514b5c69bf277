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
