using LitGen.Tests.Shared;
using System.Diagnostics;

namespace LitGen.Package.Tests;

/// <summary>
/// Packs LitGen and consumes it from a local folder feed the way a user does (<c>dotnet add package LitGen</c>): the
/// generator runs, the analyzers report, the native-compatibility targets apply, and a module trains and reloads.
/// </summary>
public class PackedPackageTests
{
    private const string Consumer = """
        using LitGen;
        using TorchSharp;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;

        var data = Enumerable.Range(0, 4).Select(i => { var x = rand(8, 1); return (x, x * 3 + 1); }).ToList();
        var model = new Line(hidden: 4);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 3, EnableProgressBar = false, EnableModelSummary = false });
        trainer.Fit(model, data);
        var restored = Line.LoadFromCheckpoint(trainer.CheckpointCallback!.BestModelPath!);
        Console.WriteLine($"CONSUMER OK steps={trainer.GlobalStep} hidden={restored.Hparams.Hidden}");

        [LightningModule]
        public partial class Line : LightningModule<(Tensor X, Tensor Y)>
        {
            [Hyperparameter] public int Hidden { get; }
            private readonly Module<Tensor, Tensor> net;

            public Line(int hidden = 8)
            {
                Hidden = hidden;
                net = Sequential(Linear(1, hidden), Tanh(), Linear(hidden, 1));
            }

            public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
                => functional.mse_loss(net.forward(batch.X), batch.Y);

            public override void OnTestStart() => Console.WriteLine(ones(1).cuda());

            public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), 0.01);
        }
        """;

    [Fact]
    public void A_project_consuming_the_packed_package_builds_with_generator_and_analyzers_and_trains()
    {
        var repo = RepositoryPaths.Root();
        var configuration = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var work = Directory.CreateTempSubdirectory("litgen-package-").FullName;
        try
        {
            // A unique version keeps the NuGet cache from serving a package packed by an earlier run.
            var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
            var feed = Path.Combine(work, "feed");
            Run(repo, "dotnet", $"pack src/LitGen.Runtime -c {configuration} --no-build -o \"{feed}\" -p:Version={version}");

            // The package leaves libtorch's backend to the app: it depends on TorchSharp's managed library only.
            var nuspec = ReadNuspec(Path.Combine(feed, $"LitGen.{version}.nupkg"));
            Assert.Contains("id=\"TorchSharp\"", nuspec);
            Assert.DoesNotContain("TorchSharp-cpu", nuspec);
            Assert.Contains("<repository type=\"git\" url=\"https://github.com/litgen/litgen\"", nuspec);
            Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
            Assert.Contains("dotnet add package TorchSharp-cpu", ReadEntry(Path.Combine(feed, $"LitGen.{version}.nupkg"), "README.md"));
            // Symbols and sources travel inside the DLL, so a debugger steps into the trainer.
            Assert.True(HasEmbeddedSources(Path.Combine(feed, $"LitGen.{version}.nupkg")), "LitGen.Runtime.dll lacks its embedded PDB and sources");

            var app = App(work, "app", feed, version, backend: "TorchSharp-cpu");
            File.WriteAllText(Path.Combine(app, "Program.cs"), Consumer);
            var build = Run(app, "dotnet", "build -c Release");
            Assert.Contains("warning LIT0001", build);

            // Running proves libtorch loads: on hosts whose libstdc++ lacks GLIBCXX_3.4.32 that needs the package's buildTransitive step.
            var output = Run(app, "dotnet", "run -c Release --no-build");
            Assert.Contains("CONSUMER OK steps=12 hidden=4", output);

            // A published app runs on machines other than its build host: the package's step patches it whatever this
            // host provides. GLIBCXX_3.4.21 is a version every current libstdc++ has, so only the publish rule explains a patch.
            var published = Path.Combine(work, "published");
            Run(app, "dotnet", $"publish -c Release --no-restore -o \"{published}\" -p:LitGenWeakGlibcxxVersion=GLIBCXX_3.4.21");
            var library = Directory.GetFiles(published, "libLibTorchSharp.so", SearchOption.AllDirectories).First();
            var need = ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(library)).Single(n => n.Name == "GLIBCXX_3.4.21");
            Assert.NotEqual(0, need.Flags & 0x2);

            // A CUDA app: the graph has one backend, CUDA's; here the feed does not serve it, and that is the only error.
            var cudaApp = App(work, "cuda-app", feed, version, backend: "TorchSharp-cuda-linux");
            var restore = RunExpectingFailure(cudaApp, "dotnet", "restore");
            Assert.Contains("NU1101", restore);
            Assert.Contains("TorchSharp-cuda-linux", restore);
            Assert.DoesNotContain("Two TorchSharp", restore);
            Assert.DoesNotContain("TorchSharp-cpu", restore);
            Assert.DoesNotContain("LitGen", restore.Split('\n').Where(line => line.Contains("error", StringComparison.Ordinal)).Aggregate("", (a, b) => a + b));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// A consumer project referencing LitGen and one backend. Its packages go to a cache of its own, so test packages
    /// never reach the machine's NuGet cache; what that cache already holds is read from it as a fallback.
    /// </summary>
    private static string App(string work, string name, string feed, string version, string backend)
    {
        var app = Path.Combine(work, name);
        Directory.CreateDirectory(app);
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <NoWarn>NU1603</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="LitGen" Version="{version}" />
                <PackageReference Include="{backend}" Version="0.107.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" />
              </config>
              <fallbackPackageFolders>
                <add key="machine" value="{cache}" />
              </fallbackPackageFolders>
              <packageSources>
                <add key="litgen-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        return app;
    }

    private static string ReadNuspec(string package)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(package);
        using var reader = new StreamReader(archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        return reader.ReadToEnd();
    }

    private static string ReadEntry(string package, string name)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(package);
        using var reader = new StreamReader(archive.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    private static bool HasEmbeddedSources(string package)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(package);
        using var dll = new MemoryStream();
        using (var entry = archive.Entries.Single(e => e.FullName.EndsWith("/LitGen.Runtime.dll", StringComparison.Ordinal)).Open()) entry.CopyTo(dll);
        dll.Position = 0;
        using var pe = new System.Reflection.PortableExecutable.PEReader(dll);
        var embedded = pe.ReadDebugDirectory().SingleOrDefault(d => d.Type == System.Reflection.PortableExecutable.DebugDirectoryEntryType.EmbeddedPortablePdb);
        if (embedded.DataSize == 0) return false;
        using var pdb = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded);
        var reader = pdb.GetMetadataReader();
        var embeddedSource = new Guid("0E8A571B-6926-466E-B4AD-8AB04611F5FE");
        var trainer = reader.Documents.Single(h => reader.GetString(reader.GetDocument(h).Name).EndsWith("/Training/Trainer.cs", StringComparison.Ordinal));
        return reader.GetCustomDebugInformation(trainer).Any(h => reader.GetGuid(reader.GetCustomDebugInformation(h).Kind) == embeddedSource);
    }

    private static string RunExpectingFailure(string directory, string command, string arguments)
    {
        var (code, output) = Execute(directory, command, arguments);
        Assert.True(code != 0, $"'{command} {arguments}' in {directory} was expected to fail:\n{output}");
        return output;
    }

    private static string Run(string directory, string command, string arguments)
    {
        var (code, output) = Execute(directory, command, arguments);
        Assert.True(code == 0, $"'{command} {arguments}' in {directory} failed ({code}):\n{output}");
        return output;
    }

    private static (int Code, string Output) Execute(string directory, string command, string arguments)
    {
        var start = new ProcessStartInfo(command, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
