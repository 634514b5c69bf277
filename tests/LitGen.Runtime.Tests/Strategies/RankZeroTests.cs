using LitGen.Runtime.Tests.Support;

namespace LitGen.Runtime.Tests.Strategies;

[Collection(ConsoleCollection.Name)]
public class RankZeroTests
{
    [Fact]
    public void Messages_are_written_by_rank_zero_only()
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var (originalOut, originalError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(errors);
        try
        {
            RankZero.Print("from rank zero");
            RankZero.Warn("careful");
            Environment.SetEnvironmentVariable("OMPI_COMM_WORLD_RANK", "1");
            RankZero.Print("from rank one");
            RankZero.Warn("from rank one");
        }
        finally
        {
            Environment.SetEnvironmentVariable("OMPI_COMM_WORLD_RANK", null);
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
        Assert.Equal("from rank zero" + Environment.NewLine, output.ToString());
        Assert.Equal("Warning: careful" + Environment.NewLine, errors.ToString());
    }
}
