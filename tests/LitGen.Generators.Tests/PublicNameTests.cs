using LitGen.Tests.Shared;
using Microsoft.CodeAnalysis;

namespace LitGen.Generators.Tests;

/// <summary>LitGen's public names in a user project with the SDK's implicit usings (System, System.Threading, …).</summary>
public class PublicNameTests
{
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    [Fact]
    public void No_LitGen_type_clashes_with_a_type_of_the_implicit_usings()
    {
        // Every public LitGen type named like a type of an implicitly imported namespace would make that name ambiguous (CS0104).
        var implicitNamespaces = new[] { "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks" };
        var frameworkTypes = AppDomain.CurrentDomain.GetAssemblies().Append(typeof(System.Threading.Timer).Assembly).Append(typeof(System.Net.Http.HttpClient).Assembly)
            .SelectMany(a => a.GetExportedTypes()).Where(t => implicitNamespaces.Contains(t.Namespace)).Select(t => t.Name.Split('`')[0]).ToHashSet();
        var clashes = typeof(LightningModule).Assembly.GetExportedTypes().Select(t => t.Name.Split('`')[0]).Where(frameworkTypes.Contains).Distinct().ToList();
        Assert.Empty(clashes);
    }

    [Fact]
    public void A_user_file_with_implicit_usings_and_using_LitGen_compiles_System_Threading_Timer()
    {
        var compilation = TestCompilation.Create(ImplicitUsings, """
            using LitGen;
            public static class Usage
            {
                public static Timer Tick() => new Timer(_ => { }, null, 0, 1000);
                public static TrainingTimer Budget() => new TrainingTimer { Duration = TimeSpan.FromHours(1) };
            }
            """);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }
}
