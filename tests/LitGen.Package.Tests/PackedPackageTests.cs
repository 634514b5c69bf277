using LitGen.Tests.Shared;
using System.Diagnostics;

namespace LitGen.Package.Tests;

/// <summary>
/// Packs LitGen and consumes it from a local folder feed the way a user does (<c>dotnet add package LitGen</c>): the
/// generator runs, the analyzers report, the native-compatibility targets apply, and a module trains and reloads.
/// </summary>
public class PackedPackageTests : IClassFixture<LocalFeed>
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
        restored.ToOnnx("line.onnx", rand(2, 1));
        Console.WriteLine($"ONNX OK {new FileInfo("line.onnx").Length > 100}");

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

            public Tensor Forward(Tensor x) => net.forward(x);

            public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
                => functional.mse_loss(Forward(batch.X), batch.Y);

            public override void OnTestStart() => Console.WriteLine(ones(1).cuda());

            public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), 0.01);
        }
        """;

    private readonly LocalFeed feed;

    public PackedPackageTests(LocalFeed feed) => this.feed = feed;

    [Fact]
    public void A_project_consuming_the_packed_package_builds_with_generator_and_analyzers_and_trains()
    {
        var (work, version) = (feed.Work, feed.Version);
        var package = Path.Combine(feed.Folder, $"LitGen.{version}.nupkg");

        // The package leaves libtorch's backend to the app: it depends on TorchSharp's managed library only.
        var nuspec = ReadNuspec(package);
        Assert.Contains("id=\"TorchSharp\"", nuspec);
        Assert.DoesNotContain("TorchSharp-cpu", nuspec);
        Assert.Contains("<repository type=\"git\" url=\"https://github.com/litgen/litgen\"", nuspec);
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
        Assert.Contains("dotnet add package TorchSharp-cpu", ReadEntry(package, "README.md"));
        // Symbols and sources travel inside the DLL, so a debugger steps into the trainer.
        Assert.True(HasEmbeddedSources(package), "LitGen.Runtime.dll lacks its embedded PDB and sources");

        var app = App(work, "app", feed.Folder, version, backend: "TorchSharp-cpu");
        File.WriteAllText(Path.Combine(app, "Program.cs"), Consumer);
        var build = Run(app, "dotnet", "build -c Release");
        Assert.Contains("warning LIT0001", build);

        // Running proves libtorch loads: on hosts whose libstdc++ lacks GLIBCXX_3.4.32 that needs the package's buildTransitive step.
        var output = Run(app, "dotnet", "run -c Release --no-build");
        Assert.Contains("CONSUMER OK steps=12 hidden=4", output);
        // The packed generator wrote Forward's graph builder, and the package brings the ONNX writer.
        Assert.Contains("ONNX OK True", output);

        // A published app runs on machines other than its build host: the package's step patches it whatever this
        // host provides. GLIBCXX_3.4.21 is a version every current libstdc++ has, so only the publish rule explains a patch.
        var published = Path.Combine(work, "published");
        Run(app, "dotnet", $"publish -c Release --no-restore -o \"{published}\" -p:LitGenWeakGlibcxxVersion=GLIBCXX_3.4.21");
        var library = Directory.GetFiles(published, "libLibTorchSharp.so", SearchOption.AllDirectories).First();
        var need = ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(library)).Single(n => n.Name == "GLIBCXX_3.4.21");
        Assert.NotEqual(0, need.Flags & 0x2);

        // A CUDA app: the graph has one backend, CUDA's; here the feed does not serve it, and that is the only error.
        var cudaApp = App(work, "cuda-app", feed.Folder, version, backend: "TorchSharp-cuda-linux");
        var restore = RunExpectingFailure(cudaApp, "dotnet", "restore");
        Assert.Contains("NU1101", restore);
        Assert.Contains("TorchSharp-cuda-linux", restore);
        Assert.DoesNotContain("Two TorchSharp", restore);
        Assert.DoesNotContain("TorchSharp-cpu", restore);
        Assert.DoesNotContain("LitGen", restore.Split('\n').Where(line => line.Contains("error", StringComparison.Ordinal)).Aggregate("", (a, b) => a + b));
    }

    [Fact]
    public void The_dotnet_new_templates_make_an_app_that_builds_and_trains_and_items_that_compile_in_it()
    {
        var (work, version) = (feed.Work, feed.Version);
        // Templates install into a hive of their own, not the user's.
        var hive = Path.Combine(work, "template-hive");
        Run(work, "dotnet", $"new install \"{Path.Combine(feed.Folder, $"LitGen.Templates.{version}.nupkg")}\" --debug:custom-hive \"{hive}\"");

        var app = Path.Combine(work, "Demo.Classifier");
        Run(work, "dotnet", $"new litgen-app -n Demo.Classifier -o \"{app}\" --litgen-version {version} --debug:custom-hive \"{hive}\"");
        Assert.Contains($"Include=\"LitGen\" Version=\"{version}\"", File.ReadAllText(Path.Combine(app, "Demo.Classifier.csproj")));
        Assert.Contains("Include=\"TorchSharp-cpu\"", File.ReadAllText(Path.Combine(app, "Demo.Classifier.csproj")));
        Assert.Contains("namespace Demo.Classifier;", File.ReadAllText(Path.Combine(app, "LitModule.cs")));

        WriteNuGetConfig(app, work, feed.Folder);
        Run(app, "dotnet", "restore");
        // Items take the namespace of the (restored) project they are added to.
        Run(app, "dotnet", $"new litgen-module -n SecondModel --debug:custom-hive \"{hive}\"");
        Run(app, "dotnet", $"new litgen-datamodule -n SecondData --debug:custom-hive \"{hive}\"");
        Assert.Contains("public partial class SecondModel : LightningModule", File.ReadAllText(Path.Combine(app, "SecondModel.cs")));
        Assert.Contains("namespace Demo.Classifier;", File.ReadAllText(Path.Combine(app, "SecondData.cs")));
        // With the trim analyzer on, so that generated code that a trimmed publish could break would warn here.
        var build = Run(app, "dotnet", "build -c Release -p:EnableTrimAnalyzer=true");
        Assert.Contains("0 Warning(s)", build);
        // Only this machine's natives are in the output: no other platform's libtorch.
        var outputFolder = Path.GetDirectoryName(Directory.GetFiles(Path.Combine(app, "bin", "Release"), "Demo.Classifier.dll", SearchOption.AllDirectories).Single())!;
        var natives = Directory.GetFiles(outputFolder, "*", SearchOption.AllDirectories).Where(f => f.Contains("torch", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Contains(natives, f => f.EndsWith(".so", StringComparison.Ordinal));
        Assert.DoesNotContain(natives, f => Path.GetFileName(f) is "torch_cpu.dll" or "LibTorchSharp.dll" || f.EndsWith(".dylib", StringComparison.Ordinal));
        long megabytes = Directory.GetFiles(outputFolder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) >> 20;
        Assert.True(megabytes < 700, $"the build output is {megabytes} MB");
        var root = Path.Combine(work, "runs");
        // --features and --classes are the data's, and the model follows them (LitCliOptions.Link in the template).
        var output = Run(app, "dotnet", $"run -c Release --no-build -- --max-epochs 3 --hidden-dim 16 --features 24 --classes 3 --default-root-dir \"{root}\" --enable-progress-bar false");
        var accuracy = double.Parse(output.Split('\n').Single(l => l.StartsWith("test_acc=", StringComparison.Ordinal))["test_acc=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        // Three classes (chance: 0.33) after three epochs from an unseeded initialization (0.76 in a weak run): clearly learning.
        Assert.True(accuracy > 0.55, output);
        var hparams = File.ReadAllText(Directory.GetFiles(root, "hparams.yaml", SearchOption.AllDirectories).Single());
        // LightningCLI's subcommands: fit, then test the checkpoint it saved.
        var subcommands = Path.Combine(work, "subcommands");
        Run(app, "dotnet", $"run -c Release --no-build -- fit --max-epochs 1 --default-root-dir \"{subcommands}\" --enable-progress-bar false");
        var saved = Directory.GetFiles(subcommands, "*.ckpt", SearchOption.AllDirectories).Single();
        Assert.Contains("test_acc", Run(app, "dotnet", $"run -c Release --no-build -- test --ckpt-path \"{saved}\" --default-root-dir \"{subcommands}\" --enable-progress-bar false"));
        Assert.Contains("HiddenDim: 16\n", hparams);
        Assert.Contains("Features: 24\n", hparams);
        Assert.Contains("Classes: 3\n", hparams);
        Assert.Contains("BatchSize: 64\n", hparams);

        // The CUDA choice names CUDA's backend package instead of the CPU one.
        var cudaApp = Path.Combine(work, "CudaApp");
        Run(work, "dotnet", $"new litgen-app -n CudaApp -o \"{cudaApp}\" --backend cuda-linux --debug:custom-hive \"{hive}\"");
        var cudaProject = File.ReadAllText(Path.Combine(cudaApp, "CudaApp.csproj"));
        Assert.Contains("Include=\"TorchSharp-cuda-linux\"", cudaProject);
        Assert.DoesNotContain("TorchSharp-cpu\"", cudaProject);
        // Without --litgen-version the app references the LitGen release the templates ship with.
        Assert.Contains($"Include=\"LitGen\" Version=\"{LocalFeed.ReleaseVersion}\"", cudaProject);
    }

    /// <summary>
    /// A consumer project referencing LitGen and one backend. Its packages go to a cache of its own, so test packages
    /// never reach the machine's NuGet cache; what that cache already holds is read from it as a fallback.
    /// </summary>
    private static string App(string work, string name, string feed, string version, string backend)
    {
        var app = Path.Combine(work, name);
        Directory.CreateDirectory(app);
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
        WriteNuGetConfig(app, work, feed);
        return app;
    }

    [Fact]
    public void The_documented_from_source_path_packs_installs_and_makes_an_app_that_restores_and_trains()
    {
        var work = Directory.CreateTempSubdirectory("litgen-from-source-").FullName;
        try
        {
            var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            // The machine's packages stay untouched: a packages folder and a template hive of the test's own, the
            // machine's cache as a fallback (so TorchSharp is not downloaded again).
            var environment = new Dictionary<string, string>
            {
                ["NUGET_PACKAGES"] = Path.Combine(work, "packages"),
                ["NUGET_FALLBACK_PACKAGES"] = cache,
                ["LITGEN_TEMPLATE_HIVE"] = Path.Combine(work, "hive"),
            };
            var feed = Path.Combine(work, "feed");
            // docs/getting-started.md, "From source", command by command.
            var installed = Run(RepositoryPaths.Root(), "bash", $"scripts/install-from-source.sh \"{feed}\"", environment);
            Assert.Contains($"dotnet new litgen-app -n MyModel --local-feed {feed}", installed);
            Run(work, "dotnet", $"new litgen-app -n MyModel --local-feed \"{feed}\" --debug:custom-hive \"{environment["LITGEN_TEMPLATE_HIVE"]}\"", environment);
            var app = Path.Combine(work, "MyModel");
            Assert.Contains(feed, File.ReadAllText(Path.Combine(app, "nuget.config")));
            var output = Run(app, "dotnet", $"run -- --max-epochs 1 --enable-progress-bar false --default-root-dir \"{Path.Combine(work, "runs")}\"", environment);
            Assert.Contains("test_acc=", output);
            // Without a local feed, no nuget.config is written.
            Run(work, "dotnet", $"new litgen-app -n Plain --debug:custom-hive \"{environment["LITGEN_TEMPLATE_HIVE"]}\"", environment);
            Assert.False(File.Exists(Path.Combine(work, "Plain", "nuget.config")));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void WriteNuGetConfig(string app, string work, string feed)
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
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

    internal static string Run(string directory, string command, string arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (code, output) = Execute(directory, command, arguments, environment);
        Assert.True(code == 0, $"'{command} {arguments}' in {directory} failed ({code}):\n{output}");
        return output;
    }

    private static (int Code, string Output) Execute(string directory, string command, string arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(command, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>LitGen and its templates packed once, with a version of their own, into a folder feed.</summary>
public sealed class LocalFeed : IDisposable
{
    public LocalFeed()
    {
        var repo = RepositoryPaths.Root();
        var configuration = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        Work = Directory.CreateTempSubdirectory("litgen-package-").FullName;
        // A unique version keeps the NuGet cache from serving a package packed by an earlier run.
        Version = $"{ReleaseVersion}-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        Folder = Path.Combine(Work, "feed");
        PackedPackageTests.Run(repo, "dotnet", $"pack src/LitGen.Runtime -c {configuration} --no-build -o \"{Folder}\" -p:Version={Version}");
        PackedPackageTests.Run(repo, "dotnet", $"pack src/LitGen.Templates -c {configuration} -o \"{Folder}\" -p:Version={Version}");
    }

    /// <summary>The version the repository builds (Directory.Build.props), which the app template references by default.</summary>
    public static string ReleaseVersion { get; } = System.Text.RegularExpressions.Regex.Match(
        File.ReadAllText(Path.Combine(RepositoryPaths.Root(), "Directory.Build.props")), "<LitGenVersion>(.*?)</LitGenVersion>").Groups[1].Value;

    public string Work { get; }
    public string Version { get; }
    public string Folder { get; }

    public void Dispose() => Directory.Delete(Work, recursive: true);
}
