FROM continuumio/miniconda3:24.7.1-0
LABEL org.opencontainers.image.title="geo-pipeline" \
      org.opencontainers.image.source="https://git.example.com/data/geo-pipeline"
WORKDIR /work
COPY environment.yml .
RUN conda env create -f environment.yml && conda clean --all --yes
# every later RUN goes through the env's interpreter
SHELL ["conda", "run", "--no-capture-output", "-n", "geo", "/bin/bash", "-c"]
RUN python -c "import geopandas, rasterio; print(geopandas.__version__)"
COPY pipeline/ ./pipeline/
ENTRYPOINT ["conda", "run", "--no-capture-output", "-n", "geo", "python", "-m", "pipeline"]
CMD ["--help"]
