using System.Diagnostics;

namespace LitGen.Runtime.Tests.Support;

/// <summary>A test that runs where Debian's python3 can import a module (PyYAML, PyTorch), and says so where it cannot.</summary>
public abstract class PythonFactAttribute : FactAttribute
{
    private static readonly Dictionary<string, bool> Available = [];

    protected PythonFactAttribute(string module, string package)
    {
        if (!CanImport(module)) Skip = $"needs python3 with {module} (apt install {package}); the committed fixtures are tested without it";
    }

    private static bool CanImport(string module)
    {
        lock (Available)
        {
            if (Available.TryGetValue(module, out var known)) return known;
            bool found = false;
            if (File.Exists("/usr/bin/python3"))
            {
                using var python = Process.Start(new ProcessStartInfo("/usr/bin/python3", $"-c \"import {module}\"") { RedirectStandardError = true })!;
                python.StandardError.ReadToEnd();
                found = python.WaitForExit(60_000) && python.ExitCode == 0;
            }
            return Available[module] = found;
        }
    }
}

/// <summary>Runs where PyYAML, the YAML 1.1 reader Lightning and Python tools use, is installed.</summary>
public sealed class PyYamlFactAttribute() : PythonFactAttribute("yaml", "python3-yaml");

/// <summary>Runs where PyTorch is installed, to read and write files with PyTorch itself.</summary>
public sealed class PyTorchFactAttribute() : PythonFactAttribute("torch", "python3-torch");
